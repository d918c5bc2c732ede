"""``litestar.toml`` decodes into typed settings; mistakes stop start-up with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from blog.settings import PROJECT_ROOT, Settings, SettingsError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "litestar.toml"
    path.write_text(text)
    return path


def test_the_shipped_file_is_valid_and_defaults_to_sqlite() -> None:
    settings = load_settings(PROJECT_ROOT / "litestar.toml", environ={})
    assert settings.database.url.startswith("sqlite+aiosqlite:///")
    assert settings.app.docs_path == "/docs"


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "absent.toml", environ={}) == Settings()


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
