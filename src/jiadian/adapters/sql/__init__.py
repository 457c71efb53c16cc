"""SQLAlchemy 2 (Core, async) adapters for MySQL/MariaDB (aiomysql) and SQLite (aiosqlite)."""
