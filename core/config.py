"""Configuration classes. The environment is read here and only here."""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    INSTANCE_DIR = Path(os.environ.get("GRIDGOV_INSTANCE", BASE_DIR / "instance"))
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'gridgov.sqlite3'}"
    )
    #: each process's connections: a sync gunicorn worker uses one at a time, so a small
    #: pool keeps workers × servers within PostgreSQL's max_connections (deploy/)
    SQLALCHEMY_ENGINE_OPTIONS = {
        "pool_pre_ping": True,  # a restarted PostgreSQL: the next request reconnects
        "pool_size": int(os.environ.get("DATABASE_POOL_SIZE", "5")),
        "max_overflow": int(os.environ.get("DATABASE_MAX_OVERFLOW", "10")),
        "pool_timeout": int(os.environ.get("DATABASE_POOL_TIMEOUT", "30")),
        "pool_recycle": int(os.environ.get("DATABASE_POOL_RECYCLE", "1800")),
    }
    #: seconds a SQLite writer waits for the lock before "database is locked"
    SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "15000"))
    #: how long a SQLite writer waits for its turn in the writers' queue (core.database)
    #: before the same "database is locked": by default the busy timeout
    SQLITE_WRITER_WAIT_MS = int(os.environ.get("SQLITE_WRITER_WAIT_MS",
                                               os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "15000")))
    #: every how many of a process's write units it checkpoints the WAL, after giving back
    #: the writers' turn (core.writers.checkpoint); 0: SQLite's own, inside the commit
    SQLITE_CHECKPOINT_EVERY = int(os.environ.get("SQLITE_CHECKPOINT_EVERY", "64"))
    #: NORMAL: a power cut may lose the last commits (never corrupts); FULL: fsync per commit
    SQLITE_SYNCHRONOUS = os.environ.get("SQLITE_SYNCHRONOUS", "NORMAL").upper()
    UPLOAD_DIR = Path(os.environ.get("UPLOAD_DIR", INSTANCE_DIR / "uploads"))
    UPLOAD_MAX_BYTES = int(os.environ.get("UPLOAD_MAX_BYTES", str(10 * 1024 * 1024)))
    API_TOKEN_TTL_HOURS = int(os.environ.get("API_TOKEN_TTL_HOURS", "720"))
    #: werkzeug's generate_password_hash method; the tests use a cheap one
    PASSWORD_HASH_METHOD = "scrypt"
    #: failed logins counted over LOGIN_LOCKOUT_MINUTES: per (username, IP) — locks that
    #: address out of that account only —, per IP (any usernames) and per username (any IPs)
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_IP = 30
    LOGIN_MAX_FAILURES_PER_ACCOUNT = 50
    LOGIN_LOCKOUT_MINUTES = 15
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")
    #: the towns' local time: case numbers and pages use it
    LOCAL_TIMEZONE = "Asia/Shanghai"
    #: possible duplicates: same category, open, this close and this recent
    DUPLICATE_RADIUS_M = 50
    DUPLICATE_WINDOW_DAYS = 7
    WTF_CSRF_TIME_LIMIT = None
    #: default working periods (a region may set its own); 1 工作日 = 8 工作时
    WORK_PERIODS = ["08:00-12:00", "13:30-17:30"]
    #: per urgency: warn at this share of the limit; overdue levels 1..3 this many minutes
    #: (on the case's clock) after the deadline. See events/escalation.py.
    ESCALATION_LADDERS = {
        "一般": {"warn_ratio": 0.8, "delays": [0, 480, 1440]},
        "分阶段": {"warn_ratio": 0.8, "delays": [0, 480, 1440]},
        "紧急": {"warn_ratio": 0.8, "delays": [0, 120, 480]},
    }
    #: who hears about each ladder step (1 催办, 2..4 overdue levels 1..3), and how
    ESCALATION_RECIPIENTS = {
        1: ["assignee"],
        2: ["town_dispatchers", "department_heads"],
        3: ["county_supervisors"],
        4: ["city_supervisors"],
    }
    ESCALATION_CHANNELS = {1: ["in_app"], 2: ["in_app", "email", "webhook"],
                           3: ["in_app", "email", "webhook"], 4: ["in_app", "email", "webhook"]}
    #: 巡访 (care/sweep.py): days after a visit's due day for 1 催办, 2 超期, 3 督办
    CARE_ESCALATION_DAYS = {1: 0, 2: 1, 3: 7}
    #: 定期调度 (programme/reports.py): a month's report is due on this day of the next month;
    #: missing, it climbs 1 催报 (the town), 2 超期 (the county), 3 督办 (the city) so many
    #: days after
    PROGRAMME_REPORT_DUE_DAY = 5
    PROGRAMME_REPORT_ESCALATION = {1: 0, 2: 3, 3: 10}
    #: hand-offs (notify/handoffs.py): per kind, who is told and on which channels.
    #: Audiences: grid_workers (of the case's grid), town_dispatchers, department_handlers,
    #: department_heads, assignee (the handler who signed). Channels: in_app, email, webhook.
    NOTIFY_HANDOFFS = {
        # "verifiers": the grid's workers, or the town's dispatchers for a category they
        # verify (其他问题)
        "verify": {"to": ["verifiers"], "channels": ["in_app", "email"]},
        "dispatch": {"to": ["town_dispatchers"], "channels": ["in_app"]},
        "returned": {"to": ["town_dispatchers"], "channels": ["in_app", "email"]},
        "accept": {"to": ["department_handlers"], "channels": ["in_app", "email"]},
        "extension": {"to": ["town_dispatchers"], "channels": ["in_app", "email"]},
        "extension_approved": {"to": ["assignee"], "channels": ["in_app"]},
        "extension_denied": {"to": ["assignee"], "channels": ["in_app", "email"]},
        "check": {"to": ["grid_workers"], "channels": ["in_app", "email"]},
        "unsatisfied": {"to": ["town_dispatchers"], "channels": ["in_app", "email"]},
        # 督办 is an alert (提醒), not a task: "holder" is whoever the case waits on now
        "supervise": {"to": ["holder", "department_heads"],
                      "channels": ["in_app", "email", "webhook"]},
    }
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USER = os.environ.get("SMTP_USER", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "0") == "1"
    MAIL_FROM = os.environ.get("MAIL_FROM", "gridgov@localhost")
    #: a group-chat robot URL (企业微信/钉钉/飞书 accept {"msgtype": "text", ...})
    WEBHOOK_URL = os.environ.get("WEBHOOK_URL", "")
    NOTIFY_MAX_ATTEMPTS = 6
    #: 核查结案 by a grid worker (page or API) needs their own photo of the site
    CHECK_PHOTO_REQUIRED = True
    #: "json": every log line one JSON object, and one per request (ops/requestlog.py);
    #: "text": Python's plain lines (the development server logs requests itself)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
    #: how many proxies (nginx: 1) stand before the app. Their X-Forwarded-For and
    #: X-Forwarded-Proto are believed — the residents' rate limits count per phone, not per
    #: proxy — and only then: 0 (the default) believes no such header
    PROXY_FIX_HOPS = int(os.environ.get("PROXY_FIX_HOPS", "0"))
    #: GET /metrics for Prometheus (ops/metrics.py), answered only to these addresses
    METRICS_ENABLED = os.environ.get("METRICS_ENABLED", "0") == "1"
    METRICS_ALLOW_FROM = tuple(os.environ.get("METRICS_ALLOW_FROM", "127.0.0.1,::1").split(","))
    SCHEDULER_INTERVAL_SECONDS = int(os.environ.get("SCHEDULER_INTERVAL_SECONDS", "60"))
    #: /healthz answers 503 when the scheduler's last round ended longer ago than this, or
    #: never ran. 0 (the default: `make run`, a bare gunicorn, the shared bench harness
    #: that waits for /healthz) reports the scheduler without judging it; production sets
    #: 300 (deploy/gridgov.env.example)
    HEALTH_SCHEDULER_SILENCE_SECONDS = int(os.environ.get("HEALTH_SCHEDULER_SILENCE_SECONDS",
                                                          "0"))
    DIGEST_TIME = "08:30"
    #: the address residents' phones reach; QR codes encode <PUBLIC_BASE_URL>/q/<token>
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    #: an optional map tile server for the grid maps, e.g. https://tiles.example/{z}/{x}/{y}.png
    #: (none by default: the maps draw the grid polygons on a plain background)
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
    #: printed on posters and shown on public pages
    HOTLINE_TEXT = os.environ.get("HOTLINE_TEXT", "镇综合指挥中心热线 12345")
    #: Flask-Limiter: memory:// counts per process (right for `make run`); with several
    #: workers or servers use a shared store, e.g. redis://127.0.0.1:6379/0
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = "gridgov"
    #: Redis down: count in each process's memory meanwhile instead of refusing requests
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    #: Flask-Compress: pages, JSON, CSS and scripts go compressed (zstd, br or gzip, as the
    #: browser accepts) — the field app on a village signal weighs a third; off: COMPRESS=0
    COMPRESS_REGISTER = os.environ.get("COMPRESS", "1") != "0"
    COMPRESS_MIN_SIZE = 1024
    #: 考核排名 (dashboard/ranking.py): how many towns are commended and criticised per level
    RANKING_TOP_N = 5
    RANKING_BOTTOM_N = int(os.environ.get("RANKING_BOTTOM_N", "5"))
    #: Open311's public lists (GET …/requests.json) are kept this many seconds: a list of a
    #: thousand cases takes ~120 ms to build, and its readers poll. SimpleCache keeps them
    #: in each process; RedisCache (CACHE_REDIS_URL) shares them across workers and servers
    CACHE_TYPE = os.environ.get("CACHE_TYPE", "SimpleCache")
    CACHE_REDIS_URL = os.environ.get("CACHE_REDIS_URL", "")
    CACHE_DEFAULT_TIMEOUT = int(os.environ.get("CACHE_DEFAULT_TIMEOUT", "30"))
    CACHE_KEY_PREFIX = "gridgov:"
    #: Open311 reads per client address (a new query string is a new list to build)
    OPEN311_READ_LIMIT_PER_IP = os.environ.get("OPEN311_READ_LIMIT_PER_IP", "300 per minute")
    #: resident reports: per phone/IP and per QR point
    REPORT_LIMIT_PER_IP = "10 per hour"
    REPORT_LIMIT_PER_POINT = "60 per hour"
    TRACK_LIMIT_PER_IP = "120 per hour"
    POSTER_FONTS = ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"]


class TestConfig(Config):
    TESTING = True
    #: a test reads what it just wrote; tests/test_open311_cache.py turns the cache on
    CACHE_TYPE = "NullCache"
    CACHE_NO_NULL_WARNING = True
    SECRET_KEY = "test"
    WTF_CSRF_ENABLED = False
    #: every test seeds ~50 demo users, each with its own salt: keep hashing cheap here
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
