"""Settings from `JIADIAN_*` environment variables (and an optional `.env` file).

With nothing set, the shop runs on the embedded default: a SQLite file under `var/`,
in-memory cart/cache/sessions, an inline task runner, local image files and a console mailer.

Every field has a description: the README's configuration table is generated from them
(`make docs`, i.e. `jiadian settings table --write README.md`), and a test checks it is.
List settings take a JSON list or comma-separated values (`CommaList`).
"""

from __future__ import annotations

import json
import os
import re
from datetime import timedelta, timezone, tzinfo
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, SettingsError

ENV_PREFIX = "JIADIAN_"

# Published in the repository: anyone can forge CSRF tokens made with it. The production profile refuses it.
DEFAULT_CSRF_SECRET = "jiadian-embedded-default-not-secret"  # noqa: S105 - public on purpose
MIN_CSRF_SECRET = 32  # characters: `openssl rand -hex 32` gives 64, `secrets.token_hex(16)` 32


class InsecureSettings(ValueError):
    """The settings would run a production shop with a published secret; the message says what to set."""


def _zone(name: str) -> tzinfo:
    """An IANA time zone; China's fixed UTC+8 for Asia/Shanghai when the system has no zone database."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        if name == "Asia/Shanghai":
            return timezone(timedelta(hours=8), "CST")
        raise ValueError(f"unknown time zone {name!r} (an IANA name, e.g. Asia/Shanghai)") from exc


class StockStrategy(StrEnum):
    CONDITIONAL = "conditional"
    PESSIMISTIC = "pessimistic"
    OPTIMISTIC = "optimistic"


def _split_list(value: Any) -> Any:
    """`a,b` or `["a", "b"]` from the environment; a list given in code as it is."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [part.strip() for part in text.split(",") if part.strip()]


# A list setting: a JSON list or comma-separated values (`host1:22122,host2:22122`).
CommaList = Annotated[list[str], NoDecode, BeforeValidator(_split_list)]


def _checkout_root() -> Path | None:
    """The source checkout the package runs from (`make run`), if it does."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() and (root / "src" / "jiadian").is_dir() else None


def default_var_dir() -> Path:
    """`var/` of the source checkout, else `$XDG_DATA_HOME/jiadian` (~/.local/share/jiadian)."""
    root = _checkout_root()
    if root is not None:
        return root / "var"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "jiadian"


def _env_files() -> tuple[Path, ...]:
    """The checkout's `.env`, then one in the working directory (which wins)."""
    root = _checkout_root()
    return (*((root / ".env",) if root else ()), Path(".env"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=_env_files(), extra="ignore")

    # Where things live.
    var_dir: Path = Field(
        default_factory=default_var_dir,
        json_schema_extra={"doc_default": "`var/` of the checkout"},
        description="Directory of the embedded SQLite file and the local media; a relative path is taken "
        "from the working directory at start-up (default: `var/` of the source checkout, else "
        "~/.local/share/jiadian)",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL, e.g. `mysql+aiomysql://user:pw@db:3306/jiadian?charset=utf8mb4`; "
        "unset: the SQLite file `<var_dir>/jiadian.sqlite3`",
    )
    database_pool_size: int = Field(10, ge=1, description="Database connections kept per process")
    database_echo: bool = Field(False, description="Log every SQL statement (debugging)")
    redis_url: str | None = Field(
        None, description="`redis://127.0.0.1:6379/0`: cart, cache, sessions, codes; unset: in memory"
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
    auto_migrate: bool = Field(True, description="Migrate the database at start-up (`jiadian serve`)")
    auto_demo: bool = Field(
        True, description="Load the demo catalogue at start-up when the catalogue is empty"
    )

    # HTTP.
    host: str = Field("127.0.0.1", description="Interface `jiadian serve` binds")
    port: int = Field(8000, ge=1, le=65535, description="Port `jiadian serve` listens on")
    workers: int = Field(1, ge=1, description="HTTP worker processes of `jiadian serve`")
    server: Literal["granian", "uvicorn"] = Field(
        "granian",
        description="The ASGI server `jiadian serve` runs: `granian`, or `uvicorn` (uvloop, httptools)",
    )
    public_url: str = Field(
        "http://127.0.0.1:8000",
        description="Base URL the shop is reached at (Alipay's notify and return URLs derive from it)",
    )
    session_cookie_secure: bool = Field(False, description="Send the session cookie over HTTPS only")
    forwarded_allow_ips: str | None = Field(
        None,
        description="Reverse proxies trusted to give the client's address (X-Forwarded-For), comma-separated "
        "IPs or networks, `*` for any; unset: the socket's peer is the client (per-client limits count it)",
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
    max_page_size: int = Field(50, ge=1, description="The largest `page_size` a list answers")
    default_page_size: int = Field(8, ge=1, description="`page_size` when a request names none")
    max_json_depth: int = Field(
        32, ge=2, le=1000, description="Deepest nesting of arrays and objects a JSON body may have (else 400)"
    )
    cache_ttl_seconds: int = Field(
        2 * 3600,
        ge=1,
        description="How long home, navigation, banners, product pages and the skus carts show are cached "
        "(per catalogue generation)",
    )
    near_cache_entries: int = Field(
        50_000,
        ge=100,
        description="How many entries each server process keeps in its own cache, in front of the shared one "
        "(product pages, the skus carts show, counts; the oldest goes first): about one per product and per sku "
        "that is viewed, so a catalogue's views are served without a round trip",
    )
    live_values_ms: int = Field(
        1000,
        ge=0,
        le=60_000,
        description="How far behind the orders that moved them the stock, sales and prices that product pages, "
        "carts and the checkout preview show may be (ms; kept per product in the shared cache, told of every "
        "order, cancel, refund and review). 0: always from the database. Placing an order always reads the "
        "database",
    )
    live_values_keep_seconds: int = Field(
        300,
        ge=1,
        le=3600,
        description="How long live values that no order moved are kept (s): the most a page can lag if a move "
        "went unheard (a process killed between its commit and telling the cache, the cache not answering)",
    )
    response_cache_seconds: int = Field(
        10,
        ge=0,
        description="How long rendered anonymous catalogue answers are reused (0: off). Operator writes "
        "show at once (the key carries the catalogue's generation); sales figures within this time",
    )
    bench_routes: bool = Field(False, description="Serve GET /bench/hello, the benchmark's floor (bench/)")

    # Operations: logs and metrics.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Least severe log level written (DEBUG also shows a failed command's traceback)"
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="`json`: one JSON object per line (time, level, logger, message, request_id, exception)",
    )
    metrics_token: SecretStr | None = Field(
        None,
        description="Bearer token `/metrics` asks for (`Authorization: Bearer …`); unset: `/metrics` answers "
        "clients on the loopback interface only",
    )
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Serve the metrics on this port of metrics_host instead of `/metrics` of the shop's port "
        "(from `jiadian serve`, for all its workers)",
    )
    metrics_host: str = Field("127.0.0.1", description="Interface the metrics port binds")
    metrics_sample_seconds: float = Field(
        15,
        gt=0,
        description="How often each process samples the gauges that need a query: pools, queue depth, gate "
        "drift, pending trades",
    )

    # Blob store.
    blob_store: Literal["local", "fastdfs"] = Field(
        "local", description="`local` (files under `<var_dir>/media`, served at media_url) or `fastdfs`"
    )
    media_url: str = Field("/media", description="URL prefix of the local blob store")
    fastdfs_trackers: CommaList = Field(
        default_factory=lambda: ["127.0.0.1:22122"],
        description="FastDFS trackers, `host:port`, comma-separated (or a JSON list)",
    )
    fastdfs_base_url: str = Field(
        "http://127.0.0.1:8888", description="The HTTP front that serves FastDFS's files to browsers"
    )
    fastdfs_timeout: float = Field(10.0, gt=0, description="Seconds each FastDFS call may take")

    # Background tasks.
    broker: Literal["inline", "redis", "rabbitmq"] = Field(
        "inline",
        description="Where tasks go: `inline` (run in the web process), `redis` (redis_url) or `rabbitmq` "
        "(dramatiq; run `jiadian worker`)",
    )
    rabbitmq_url: str = Field(
        "amqp://guest:guest@127.0.0.1:5672/%2F", description="The RabbitMQ broker, when broker is rabbitmq"
    )
    task_queue_name: str = Field("jiadian", description="The dramatiq queue the shop's tasks go through")
    sweep_interval_seconds: int = Field(
        60, ge=1, description="How often the expiry and shipping sweeps (and the gate's reconcile) run"
    )
    broker_heartbeat_timeout_seconds: float = Field(
        60,
        gt=0,
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
    mailer: Literal["console", "smtp"] = Field(
        "console", description="`console` (mails printed to the log) or `smtp`"
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server")
    smtp_port: int = Field(25, ge=1, le=65535, description="SMTP port")
    smtp_user: str | None = Field(None, description="SMTP user, when the server wants a login")
    smtp_password: SecretStr | None = Field(None, description="SMTP password")
    smtp_starttls: bool = Field(False, description="STARTTLS after connecting")
    smtp_ssl: bool = Field(False, description="Implicit TLS (SMTPS, usually port 465)")
    smtp_timeout: float = Field(10.0, gt=0, description="Seconds an SMTP exchange may take")
    mail_from: str = Field("家电之选 <noreply@jiadian.local>", description="Sender of the shop's mails")

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
    recharge_enabled: bool = Field(False, description="Allow the admin recharge endpoint over HTTP")
    stock_strategy: StockStrategy = Field(
        StockStrategy.CONDITIONAL,
        description="How checkout takes stock: `conditional`, `pessimistic` or `optimistic`",
    )
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
    freight: Decimal = Field(Decimal("10.00"), ge=0, description="Freight added to every order (CNY)")
    order_ttl_seconds: int = Field(
        24 * 3600, ge=1, description="An unpaid order is cancelled this long after placing"
    )
    ship_after_seconds: int = Field(5 * 60, ge=0, description="A paid order ships this long after payment")

    # The operator console.
    shop_timezone: str = Field(
        "Asia/Shanghai", description="The shop's days and weeks in the console's figures (an IANA zone name)"
    )
    low_stock_at_most: int = Field(
        10, ge=0, description="A sku with at most this much stock counts as low on stock (console)"
    )
    expiring_within_hours: int = Field(
        2, ge=1, description="Unpaid orders this close to their expiry show as expiring (console)"
    )

    # Payments.
    payment_gateway: Literal["simulator", "alipay"] = Field(
        "simulator", description="`alipay`, or the `simulator` (pays only by an operator's action)"
    )
    alipay_app_id: str = Field("", description="The Alipay app's APPID")
    alipay_sandbox: bool = Field(True, description="Alipay's sandbox gateway; false: production")
    alipay_gateway_url: str | None = Field(None, description="Overrides the gateway URL alipay_sandbox picks")
    alipay_app_private_key: SecretStr | None = Field(None, description="The app's private key (PEM)")
    alipay_app_private_key_file: Path | None = Field(None, description="… or the file that holds it")
    alipay_public_key: SecretStr | None = Field(None, description="Alipay's public key (PEM or bare base64)")
    alipay_public_key_file: Path | None = Field(None, description="… or the file that holds it")
    alipay_timeout: float = Field(10.0, gt=0, description="Seconds a trade query or close may take")
    notification_retention_days: int = Field(
        30,
        ge=1,
        description="Gateway callbacks that failed verification are deleted after this many days (verified "
        "ones are kept)",
    )
    notification_max_forged_per_client: int = Field(
        20,
        ge=1,
        description="Callbacks failing verification allowed per client IP within "
        "notification_forged_window_seconds; past it, the notify endpoint answers 429 and stores nothing",
    )
    notification_forged_window_seconds: int = Field(
        3600, ge=1, description="The window forged callbacks count in"
    )

    @field_validator("var_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        """Resolved once: later changes of the working directory (or a worker process) see the same path."""
        return value.expanduser().resolve()

    @field_validator("shop_timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        _zone(name)
        return name

    @property
    def zone(self) -> tzinfo:
        """The shop's time zone (`shop_timezone`)."""
        return _zone(self.shop_timezone)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.var_dir / 'jiadian.sqlite3'}"

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


class SettingsConflict(ValueError):
    """Settings that parse one by one but do not fit together (e.g. broker=redis without redis_url)."""


def env_name(field: str) -> str:
    return f"{ENV_PREFIX}{field.upper()}"


_FIELD_IN_MESSAGE = re.compile(r'field "([a-z0-9_]+)"')


def describe_settings_error(exc: Exception) -> str:
    """One line naming each variable, what it holds, and what is expected: for the CLI and the logs."""
    if isinstance(exc, ValidationError):
        parts = []
        for error in exc.errors(include_url=False):
            field = str(error["loc"][0]) if error["loc"] else ""
            info = Settings.model_fields.get(field)
            secret = info is not None and "SecretStr" in str(info.annotation)
            got = "" if secret or error["type"] == "missing" else f"={error['input']!r}"
            expected = f" ({info.description})" if info is not None and info.description else ""
            parts.append(f"{env_name(field)}{got}: {error['msg']}{expected}")
        return "; ".join(parts)
    match = _FIELD_IN_MESSAGE.search(str(exc))
    if isinstance(exc, SettingsError) and match:
        info = Settings.model_fields.get(match[1])
        expected = f" (expected {info.description})" if info is not None and info.description else ""
        return f"{env_name(match[1])}: cannot be parsed{expected}"
    return str(exc)


# --- the README's configuration table -------------------------------------------------------------------

TABLE_START = "<!-- settings table: generated by `make docs` (jiadian settings table --write README.md) -->"
TABLE_END = "<!-- end of the settings table -->"


def _default_text(name: str) -> str:
    info = Settings.model_fields[name]
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    if "doc_default" in extra:
        return str(extra["doc_default"])
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "a development value" if value.get_secret_value() else "empty"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if isinstance(value, StrEnum):
        value = value.value
    return f"`{value}`" if str(value) != "" else "empty"


def settings_table() -> str:
    """The configuration table of the README, one row per setting, in the order of `Settings`."""
    rows = ["| variable | meaning | default |", "|---|---|---|"]
    for name, info in Settings.model_fields.items():
        meaning = (info.description or "").replace("|", "\\|").replace("\n", " ")
        rows.append(f"| `{env_name(name)}` | {meaning} | {_default_text(name)} |")
    return "\n".join(rows)


def with_settings_table(document: str) -> str:
    """`document` with the text between the table's markers replaced by the current table."""
    start, end = document.index(TABLE_START), document.index(TABLE_END)
    return document[: start + len(TABLE_START)] + "\n\n" + settings_table() + "\n\n" + document[end:]
