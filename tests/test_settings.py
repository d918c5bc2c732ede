"""``litestar.toml`` decodes into typed settings; mistakes stop start-up with a clear message."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from blog.settings import PROJECT_ROOT, DatabaseSettings, Settings, SettingsError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "litestar.toml"
    path.write_text(text)
    return path


def test_the_shipped_file_is_valid_and_defaults_to_sqlite() -> None:
    settings = load_settings(PROJECT_ROOT / "litestar.toml", environ={})
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    assert settings.app.docs_path == "/docs"


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "absent.toml", environ={})
    assert msgspec.structs.replace(settings, database=DatabaseSettings()) == Settings()
    assert settings.database.url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/blog.sqlite3"


def test_unknown_key_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "[database]\npool_sise = 5\n")
    with pytest.raises(SettingsError, match="pool_sise"):
        load_settings(path, environ={})


def test_wrong_type_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\npool_size = "ten"\n')
    with pytest.raises(SettingsError, match=r"\$\.database\.pool_size"):
        load_settings(path, environ={})


def test_invalid_toml_is_reported_with_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[database\n")
    with pytest.raises(SettingsError, match=r"litestar\.toml"):
        load_settings(path, environ={})


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite+aiosqlite:///file.db"\npool_size = 3\n')
    settings = load_settings(
        path,
        environ={"DATABASE_URL": "postgresql+asyncpg://u@h/db", "DATABASE_POOL_SIZE": "7", "APP_DEBUG": "true"},
    )
    assert settings.database.url == "postgresql+asyncpg://u@h/db"
    assert settings.database.pool_size == 7
    assert settings.app.debug is True


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="DATABASE_POOL_SIZE"):
        load_settings(tmp_path / "absent.toml", environ={"DATABASE_POOL_SIZE": "many"})


def test_settings_file_can_be_chosen_by_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[app]\ntitle = 'Elsewhere'\n")
    assert load_settings(environ={"BLOG_SETTINGS_FILE": str(path)}).app.title == "Elsewhere"


def test_the_default_database_lives_with_the_project_whatever_the_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(PROJECT_ROOT / "tests")
    url = load_settings(environ={}).database.url
    assert url == f"sqlite+aiosqlite:///{PROJECT_ROOT / 'blog.sqlite3'}"


def test_a_relative_sqlite_path_is_relative_to_its_file_but_not_in_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurl = "sqlite+aiosqlite:///data/b.sqlite3"\n')
    assert load_settings(path, environ={}).database.url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/data/b.sqlite3"
    given = {"DATABASE_URL": "sqlite+aiosqlite:///here.sqlite3"}
    assert load_settings(path, environ=given).database.url == "sqlite+aiosqlite:///here.sqlite3"


def test_cors_origins_come_from_the_file_or_a_comma_separated_variable(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "absent.toml", environ={}).app.cors_origins == []
    path = tmp_path / "cors.toml"
    path.write_text('[app]\ncors_origins = ["http://a.example"]\n')
    assert load_settings(path, environ={}).app.cors_origins == ["http://a.example"]
    environ = {"APP_CORS_ORIGINS": "http://a.example, https://b.example:8443,"}
    assert load_settings(path, environ=environ).app.cors_origins == ["http://a.example", "https://b.example:8443"]
    assert load_settings(path, environ={"APP_CORS_ORIGINS": ""}).app.cors_origins == []
