"""Settings from `JIADIAN_*` environment variables (and an optional `.env` file).

With nothing set, the shop runs on the embedded default: a SQLite file under `var/`,
in-memory cart/cache/sessions, an inline task runner, local image files and a console mailer.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Published in the repository: anyone can forge CSRF tokens made with it. The production profile refuses it.
DEFAULT_CSRF_SECRET = "jiadian-embedded-default-not-secret"  # noqa: S105 - public on purpose
MIN_CSRF_SECRET = 32  # characters: `openssl rand -hex 32` gives 64, `secrets.token_hex(16)` 32


class InsecureSettings(ValueError):
    """The settings would run a production shop with a published secret; the message says what to set."""


class StockStrategy(StrEnum):
    CONDITIONAL = "conditional"
    PESSIMISTIC = "pessimistic"
    OPTIMISTIC = "optimistic"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIADIAN_", env_file=".env", extra="ignore")

    # Where things live.
    var_dir: Path = Field(Path("var"), description="Directory for the embedded SQLite file and local media")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL, e.g. mysql+aiomysql://root@127.0.0.1:3306/test?charset=utf8mb4; "
        "default: sqlite+aiosqlite:///<var_dir>/jiadian.sqlite3",
    )
    database_pool_size: int = 10
    database_echo: bool = False
    redis_url: str | None = Field(
        None, description="redis://127.0.0.1:6379/0 — cart, cache, sessions, codes; default: in memory"
    )
    redis_max_connections: int = Field(
        200,
        ge=1,
        description="Redis connections per process; a request that finds them all busy waits for one "
        "(up to redis_wait_seconds) instead of failing",
    )
    redis_wait_seconds: float = Field(
        5.0, gt=0, description="How long a request waits for a free Redis connection"
    )
    auto_migrate: bool = Field(True, description="Run migrations at start-up (embedded default)")
    auto_demo: bool = Field(True, description="Load the demo catalogue when the catalogue is empty")

    # HTTP.
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    server: Literal["granian", "uvicorn"] = Field(
        "granian", description="The ASGI server `jiadian serve` runs: granian, or uvicorn (uvloop, httptools)"
    )
    public_url: str = Field("http://127.0.0.1:8000", description="Base URL the shop is reached at")
    session_cookie_secure: bool = False
    forwarded_allow_ips: str | None = Field(
        None,
        description="Reverse proxies trusted to give the client's address (X-Forwarded-For), comma-separated "
        "IPs or networks, '*' for any; unset: the socket's peer is the client (per-client limits count it)",
    )
    session_ttl_seconds: int = Field(
        14 * 24 * 3600, ge=60, description="A session ends after this long unused (each request renews it)"
    )
    session_max_age_seconds: int = Field(
        30 * 24 * 3600,
        ge=60,
        description="A session ends this long after its sign-in however much it is used (sign in again)",
    )
    csrf_secret: SecretStr = Field(
        SecretStr(DEFAULT_CSRF_SECRET),
        description="Secret for CSRF tokens; the production profile refuses to start with the default",
    )
    test_deployment: bool = Field(
        False,
        description="A test deployment: the production profile (MySQL or Redis) may start with the "
        "published default CSRF secret. Never set it where real shoppers come",
    )
    max_page_size: int = 50
    default_page_size: int = 8
    cache_ttl_seconds: int = 2 * 3600
    live_values_ms: int = Field(
        1000,
        ge=0,
        le=60_000,
        description="How old the stock, sales and prices that product pages, carts and the checkout preview "
        "show may be (ms; kept in the shared cache, read in blocks of products). 0: always from the database. "
        "Placing an order always reads the database",
    )
    response_cache_seconds: int = Field(
        10,
        description="How long rendered anonymous catalogue answers are reused (0: off). Operator writes "
        "show at once (the key carries the catalogue's generation); sales figures within this time",
    )
    bench_routes: bool = Field(False, description="Serve GET /bench/hello, the benchmark's floor (bench/)")

    # Blob store.
    blob_store: Literal["local", "fastdfs"] = "local"
    media_url: str = Field("/media", description="URL prefix of the local blob store")
    fastdfs_trackers: list[str] = Field(default_factory=lambda: ["127.0.0.1:22122"])
    fastdfs_base_url: str = "http://127.0.0.1:8888"
    fastdfs_timeout: float = 10.0

    # Background tasks.
    broker: Literal["inline", "redis", "rabbitmq"] = "inline"
    rabbitmq_url: str = "amqp://guest:guest@127.0.0.1:5672/%2F"
    task_queue_name: str = Field("jiadian", description="The dramatiq queue the shop's tasks go through")
    sweep_interval_seconds: int = 60
    broker_heartbeat_timeout_seconds: float = Field(
        60,
        description="Redis broker: a worker silent this long counts as dead and the messages it had "
        "taken are delivered again (to a live worker, at its next queue maintenance)",
    )
    broker_maintenance_chance: int = Field(
        1000,
        ge=0,
        le=1_000_000,
        description="Redis broker: per million broker calls, how many also run the queue maintenance "
        "(requeue the messages of dead workers); dramatiq's default is 1000",
    )

    # Mail.
    mailer: Literal["console", "smtp"] = "console"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = Field(False, description="Implicit TLS (SMTPS, usually port 465)")
    smtp_timeout: float = 10.0
    mail_from: str = "家电之选 <noreply@jiadian.local>"

    # Sign-in limits (see `jiadian.application.sign_in`): failures count per account (the user the name
    # resolves to) and per client IP within the window.
    login_max_failures_per_user: int = Field(
        5, ge=1, description="Failed sign-ins per account from one client IP; past it that client waits (429)"
    )
    login_max_failures_per_client: int = Field(
        20,
        ge=1,
        description="Failed sign-ins (and registration's name probes, wrong reset codes) per client IP, "
        "whatever the account; past it that client waits (429)",
    )
    login_failure_window_seconds: int = Field(15 * 60, ge=1, description="The window failures count in")
    login_account_failures_before_delay: int = Field(
        10,
        ge=1,
        description="Failed sign-ins per account from every client; past it each attempt waits a delay after "
        "the latest failure that doubles with each failure (never a lock-out)",
    )
    login_max_delay_seconds: int = Field(60, ge=1, description="The longest such delay")

    # Business knobs.
    recharge_enabled: bool = False
    stock_strategy: StockStrategy = StockStrategy.CONDITIONAL
    stock_gate: bool = Field(
        False,
        description="Checkout takes the counts of hot skus from stock tokens (in Redis when redis_url is set, "
        "else in memory) before its transaction, refusing sold-out buyers without touching the database; "
        "MySQL stays the authority. Gate skus with `jiadian stock gate open`; the periodic jobs re-sync "
        "the tokens from MySQL",
    )
    group_commit: bool = Field(
        True,
        description="Orders placed at about the same time in a process share one transaction (each buyer "
        "still gets their own order or refusal); false: one transaction per order",
    )
    group_commit_window_ms: float = Field(
        2.0, ge=0, le=100, description="How long the first order into an idle batch waits for others (ms)"
    )
    group_commit_max_orders: int = Field(200, ge=1, le=5000, description="Orders per batch at most")
    freight: Decimal = Decimal("10.00")
    order_ttl_seconds: int = 24 * 3600
    ship_after_seconds: int = 5 * 60

    # Payments.
    payment_gateway: Literal["simulator", "alipay"] = Field(
        "simulator", description="alipay, or the SIMULATOR (pays only by an operator's action)"
    )
    alipay_app_id: str = ""
    alipay_sandbox: bool = Field(True, description="Alipay's sandbox gateway; false: production")
    alipay_gateway_url: str | None = Field(None, description="Overrides the gateway URL alipay_sandbox picks")
    alipay_app_private_key: SecretStr | None = None
    alipay_app_private_key_file: Path | None = None
    alipay_public_key: SecretStr | None = None
    alipay_public_key_file: Path | None = None
    alipay_timeout: float = 10.0

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.var_dir / 'jiadian.sqlite3').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def media_dir(self) -> Path:
        return self.var_dir / "media"

    @property
    def is_production_profile(self) -> bool:
        """A shared database or Redis: the shop is reachable by more than the person who started it."""
        return not self.is_sqlite or bool(self.redis_url)

    def check_secrets(self) -> None:
        """Refuse the production profile with the published CSRF secret, or one shorter than
        `MIN_CSRF_SECRET` characters (unless a test deployment)."""
        secret = self.csrf_secret.get_secret_value()
        if not self.is_production_profile or self.test_deployment:
            return
        if secret == DEFAULT_CSRF_SECRET or len(secret) < MIN_CSRF_SECRET:
            raise InsecureSettings(
                "the production profile (JIADIAN_DATABASE_URL or JIADIAN_REDIS_URL set) needs a CSRF secret of "
                f"its own, at least {MIN_CSRF_SECRET} characters: set JIADIAN_CSRF_SECRET to a random value "
                "(e.g. `openssl rand -hex 32`); a test deployment may set JIADIAN_TEST_DEPLOYMENT=true instead"
            )
