"""A blog API (authors and their articles) on Litestar and Advanced Alchemy."""
