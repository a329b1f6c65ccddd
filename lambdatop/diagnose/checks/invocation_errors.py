"""Edge plane: the errors invocations end with, and what they began or stopped with."""

from __future__ import annotations

import re
from collections import Counter
from enum import Flag, auto
from typing import NamedTuple

from lambdatop.core import metrics as m
from lambdatop.core.classify import THREAD_LIMIT
from lambdatop.core.invocations import STOPPED_BY_LAMBDA
from lambdatop.core.lazy_pattern import LazyPattern
from lambdatop.core.pipeline import Finding
from lambdatop.core.records import ErrorFamily, Invocation, LineKind
from lambdatop.core.sanitize import one_line
from lambdatop.diagnose.checks import changes
from lambdatop.diagnose.checks.base import Advice, Verdict
from lambdatop.diagnose.checks.changes import Change, VersionRuns
from lambdatop.diagnose.commands import Commands, is_platform_event
from lambdatop.diagnose.evidence import Evidence
from lambdatop.diagnose.format import SAMPLE_LIMIT, clock, count, pct, sampled, samples
from lambdatop.diagnose.model import CheckStatus, Step
from lambdatop.diagnose.thresholds import Thresholds

RECENT_ERRORS = (
    "fields @timestamp, @requestId, @message | filter @message like"
    " /(?i)(error|exception|timed out|timeout|unable to import|missing on module|panicked|"
    "not found|exited|killed|refused)/"
    " | sort @timestamp desc | limit 50"
)
# What to search the logs for to find invocations that failed with an error type: the
# words Lambda writes, where the type is a name of lambdatop's own or too common a word.
LOG_WORDS = {
    "Sandbox.Timedout": "Task timed out",
    "Rust.Panic": "panicked at",
    "PHP.FatalError": "PHP Fatal error",
    "Runtime.OutOfMemory": "Runtime exited",
    "Runtime.ExitError": "Runtime exited",
    "Init.timeout": "INIT_REPORT",
    "Init.error": "INIT_REPORT",
}
# The same in JSON-format logs, where the platform's events carry the status.
JSON_PATTERNS = {
    "Sandbox.Timedout": '{ $.record.status = "timeout" }',
    "Runtime.OutOfMemory": '{ $.record.errorType = "Runtime.OutOfMemory" }',
    "Runtime.ExitError": '{ $.record.errorType = "Runtime.ExitError" }',
    "Init.timeout": '{ $.type = "platform.initReport" && $.record.status = "timeout" }',
    "Init.error": '{ $.type = "platform.initReport" && $.record.status = "error" }',
}
TOO_COMMON = frozenset(("Error", "Exception", "Unhandled", "error", "string"))
"""Error types that say little alone: the message they carry names them (`string`: a thrown
value that was not an Error, as the Node.js runtime names it)."""
# Error types whose words in the log are several: a filter pattern of alternatives.
RUNTIME_EXITS = '?"Runtime exited" ?"Process exited before completing request"'
PATTERNS = {
    "Function.ResponseSizeTooLarge": (
        '?"Failed to post handler success response" ?"exceeded maximum allowed payload size"'
        ' ?"ResponseSizeTooLarge"'
    ),
    # the platform's words since 2018, and Node.js's before (4.3, 6.10)
    "Runtime.ExitError": RUNTIME_EXITS,
    # A REPORT line says it by its type (`Status: error  Error Type: Runtime.OutOfMemory`).
    "Runtime.OutOfMemory": RUNTIME_EXITS + ' ?"Runtime.OutOfMemory"',
    # python2.7 and 3.6 printed the words alone, later runtimes after the type
    "Runtime.ImportModuleError": '?"Runtime.ImportModuleError" ?"Unable to import module"',
    "Runtime.HandlerNotFound": '?"Runtime.HandlerNotFound" ?"missing on module"',
    # the runtime's line, and REPORT's status (alone when an init re-run ran the clock out)
    "Sandbox.Timedout": '?"Task timed out" ?"Status: timeout"',
}
_UNQUOTABLE = re.compile(r'["\\]')
_QUOTED_TERM = re.compile(r'"((?:[^"\\]|\\.)*)"')
STOPPED_WHY = (
    "SIGTERM is Lambda shutting the environment down (a scale-in, a deploy replacing"
    " environments, an idle one reclaimed) while the runtime started or waited: the platform"
    " stopping it, not the code failing to start"
)
STOPPED_FIX = Step(
    "Fix: nothing to roll back: the code did not fail to start; look further only if"
    " invocations failed beside these lines, or if they come with every deploy (then check"
    " that init finishes well inside its 10 s)"
)
RESPONSE_TOO_LARGE = "Function.ResponseSizeTooLarge"
# What a REPORT says of an invocation whose response Lambda refused: the runtime's post of it
# failed and the runtime exited (`Status: error  Error Type: Runtime.ExitError`), or no type.
RESIZABLE = frozenset(("Runtime.ExitError", None))
# What to do about an error type whose cause is Lambda's limit, not the code.
TYPE_FIXES = {
    "Function.ResponseSizeTooLarge": (
        "Fix: the result is over Lambda's 6 MB response limit, and the caller got an error"
        " (API Gateway a 502 or 413): return a pointer instead (put the body in S3 and return"
        " a presigned URL), compress it, page it, or stream the response"
    ),
    # "Runtime.InvalidEntrypoint: the container image's ENTRYPOINT or CMD, or the custom
    # runtime's bootstrap, could not be run" (Lambda Developer Guide, troubleshooting container
    # images: "make sure the ENTRYPOINT ... has execute permissions").
    "Runtime.InvalidEntrypoint": (
        "Fix: Lambda could not start the entrypoint: for a container image, its ENTRYPOINT or"
        " CMD (the file missing from the image, not executable, or built for the other"
        " architecture: `docker inspect` the image); for a custom runtime (provided.*), the"
        " `bootstrap` file missing from the package's root or not executable (chmod 755 it"
        " before zipping)"
    ),
}


class NamedCause(NamedTuple):
    """A cause of failures that the error's own type does not name (an execution environment's
    fixed limit, expired credentials), in the words runtimes fail with, and its fix."""

    name: str
    words: LazyPattern
    why: str
    fix: str


TMP_FULL = NamedCause(
    "a full /tmp",
    LazyPattern(r"No space left on device|\bENOSPC\b", re.IGNORECASE),
    "/tmp is the function's ephemeral storage (512 MB unless raised, 10,240 MB at most) and"
    " lasts as long as the environment, so what each invocation leaves there adds up",
    "Fix: delete what an invocation writes to /tmp once it is done with it (or stream instead of"
    " writing), or give the function more ephemeral storage",
)
# Lambda quotas: "File descriptors 1,024", "Execution processes/threads 1,024", neither of them
# among the quotas that can be raised.
ENVIRONMENT_LIMITS = (
    TMP_FULL,
    NamedCause(
        "too many open files",
        LazyPattern(r"Too many open files|\bEMFILE\b", re.IGNORECASE),
        "an environment holds at most 1,024 file descriptors, files and sockets together (a"
        " Lambda quota that cannot be raised; more memory does not raise it)",
        "Fix: close files and sockets when done, and create SDK and HTTP clients once, outside"
        " the handler, so one connection pool is reused instead of a new one each invocation",
    ),
    NamedCause(
        "too many threads",
        THREAD_LIMIT,
        "an environment runs at most 1,024 processes and threads (a Lambda quota that cannot be"
        " raised; more memory does not raise it, whatever the JVM's OutOfMemoryError says)",
        "Fix: bound thread pools, create executors once outside the handler and shut down any an"
        " invocation creates; look for threads or child processes left running after it returns",
    ),
)
"""The limits an environment has whatever its memory, each with the words a runtime fails
with when it reaches it."""
EXPIRED_CREDENTIALS = NamedCause(
    "expired credentials",
    LazyPattern(
        r"ExpiredToken(?:Exception)?\b|security token included in the request is expired"
        r"|RequestExpired\b",
        re.IGNORECASE,
    ),
    "AWS refused a request signed with credentials past their expiry: temporary credentials the"
    " code obtained itself (an STS AssumeRole session lasts 1 hour unless asked for longer) and"
    " kept, at init or in a cache, for longer than they last",
    "Fix: obtain assumed-role credentials when they are needed and renew them before their"
    " Expiration (an SDK credential provider that refreshes them, such as botocore's"
    " RefreshableCredentials), instead of keeping one session for the environment's life",
)
NAMED_CAUSES = (*ENVIRONMENT_LIMITS, EXPIRED_CREDENTIALS)
UNENDED = "No completed invocation read; {} logged"
UNENDED_WHY = (
    "no REPORT line ends an invocation here, so none can be counted failed: these are the"
    " function's own error lines, each one an invocation that may have failed"
)
"""What a failure's lines may name beyond its type, each counted apart."""
TMP_MOST_MB = 10_240
TMP_RAISED_MB = 2_048
"""What the advice raises a default /tmp to: four times the default."""

UNAUTHORIZED = "Unauthorized"
"""What an API Gateway Lambda authorizer throws to answer 401."""
AUTHORIZER = (
    'a Lambda authorizer throws "Unauthorized" to answer 401: these are callers denied (an'
    " expired or missing token), not the code failing"
)
COLD_FIX = Step(
    "Fix: look at what the first invocation of an environment does that later ones do not:"
    " config or secrets fetched at start, connections opened, caches warmed (give them retries"
    " and timeouts that fit inside the function's)"
)
KEEP_FAILED_EVENTS = Step(
    "Fix: give asynchronous events an on-failure destination (or a dead-letter queue) so an"
    " event that fails every retry is kept, not dropped"
)
HANDLED_WHY = "that did not fail (a batch's failed records are retried, a caller got a fallback)"
ROLL_BACK_DEPLOY = Step(
    "Fix: roll back to the last good version (point the alias at it), then check the package"
    " contents and the handler setting"
)
EXTENSION_FAILED = (
    "an extension (a layer) failed to start or crashed: check the function's layers"
    " (`get-function-configuration --query Layers`) and the extension's own settings (its"
    " API key, its environment variables); pin the layer's last version that worked, or remove"
    " the layer"
)
# Lambda's line for each extension an environment started (`EXTENSION Name: datadog-agent
# State: Ready Events: [INVOKE,SHUTDOWN]`), and the error types Lambda gives an init an
# extension failed (INIT_REPORT's `Error Type`). Its settings are environment variables: "The
# function's runtime and each external extension are processes that run within the execution
# environment. Permissions, resources, credentials, and environment variables are shared
# between the function and the extensions" (Lambda Developer Guide, the execution environment).
_EXTENSION_NAME = LazyPattern(r"\bName: ?(?P<name>\S+)(?:\s+State: ?(?P<state>\w+))?")
_EXTENSION_FAILURE = LazyPattern(r"Extension\.(?P<how>Crash|InitError|ExitError|LaunchError)\b")
_EXTENSION_VERBS = {
    "Crash": "crashed",
    "InitError": "failed its init",
    "ExitError": "exited with an error",
    "LaunchError": "could not be launched",
}
EXTENSION_FIX = (
    "Fix: {who} {how}: check its layer version and its settings (its environment variables),"
    " pin the layer's last version that worked (update-function-configuration --layers) or"
    " remove the layer; a version published before the layer changed runs with the old one"
    " (point the alias at it)"
)


class ExtensionFailure(NamedTuple):
    """An extension (a layer's process) that failed the environment's init."""

    error_type: str
    """`Extension.Crash`, `Extension.InitError`, `Extension.ExitError`, `Extension.LaunchError`."""
    names: tuple[str, ...] = ()
    """The extension that failed, when its EXTENSION line's state says so or it was the only
    one; else every extension the environments started (one of them failed)."""
    alone: bool = False
    """`names` is the one that failed (not one of several)."""

    @property
    def how(self) -> str:
        return _EXTENSION_VERBS.get(self.error_type.partition(".")[2], "failed")

    @property
    def who(self) -> str:
        if not self.names:
            return "an extension (a layer)"
        if self.alone:
            return f"the {self.names[0]} extension"
        return f"one of the extensions {', '.join(self.names)}"


# What a deploy's own words point at, beyond rolling back.
DEPLOY_CAUSES = (
    (
        "restore_report",
        "a SnapStart restore failed: what the snapshot held went stale (connections, credentials,"
        " random seeds); reopen connections and refresh them in an after-restore hook"
        " (Python `@register_after_restore`, Java CRaC `afterRestore`, .NET"
        " `RegisterAfterRestore`), and keep the hook within the 10 s restore limit",
    ),
    (
        "exec format error",
        "the image or binary was built for the other architecture: rebuild it for the"
        " function's (`get-function-configuration --query Architectures`), or switch the"
        " function to the image's",
    ),
    (
        "command not found",
        "the bootstrap calls a program the runtime does not have: bundle it, or use a layer",
    ),
    # An extension's own failure (Extension.Crash and its kin) is advised by `_init_fix`.
    ("launcherror", EXTENSION_FAILED),
    # "Starting with the Node.js 18 runtime, the AWS SDK for JavaScript v3 is included; the
    # v2 SDK is not" (Lambda Developer Guide, Node.js runtimes): `require('aws-sdk')` fails.
    (
        "cannot find module 'aws-sdk'",
        "the nodejs18.x and later runtimes include the AWS SDK for JavaScript v3 only, not v2's"
        " `aws-sdk`: bundle aws-sdk in the package (or a layer), or move the code to v3's"
        " @aws-sdk/client-* modules",
    ),
    # Node.js loads a `.js` file as CommonJS unless package.json says `"type": "module"`.
    (
        "cannot use import statement outside a module",
        "the handler's file is an ES module (it uses `import`) that Node.js loads as CommonJS:"
        ' name it .mjs, or set "type": "module" in the package.json at the package\'s root (or'
        " bundle it to CommonJS)",
    ),
    (
        "permission denied",
        "a file in the package is not executable or readable: chmod 755 the bootstrap and"
        " binaries before zipping",
    ),
)


# The runtimes' words when the module, class or assembly the handler setting names is not in
# the package: Python's and Node.js's module, Java's class, .NET's assembly and type.
HANDLER_NAMED = LazyPattern(
    r"Unable to import module|Runtime\.HandlerNotFound|missing on module|Class not found"
    r"|ClassNotFoundException|handler assembly|Unable to load type"
)


class NativeStart(NamedTuple):
    """Native code that could not start in the runtime, as the loader said why: what the title
    calls it, why it failed, and the fix."""

    name: str
    why: str
    fix: str
    term: str
    """A filter pattern's term the loader's line holds."""


GLIBC_NEEDED = LazyPattern(r"GLIBC_(?P<major>\d+)\.(?P<minor>\d+)'? not found")
# "glibc | AL2 2.26 | AL2023 2.34" (Amazon Linux 2023 User Guide, "Improved toolchain: gcc,
# binutils, and glibc"). Which runtime runs on which: the "Operating system" column of the Lambda
# runtimes table (python3.8 to 3.11, nodejs18.x, java8.al2 to java17, provided.al2 on Amazon
# Linux 2; python3.12 and later, nodejs20.x and later, java21, provided.al2023 on 2023).
AL2_GLIBC = (2, 26)
AL2023_GLIBC = (2, 34)
RUNTIMES_GLIBC = (
    "Amazon Linux 2 runtimes (provided.al2, python3.8 to 3.11, nodejs18.x and older, java8.al2"
    " to java17) have glibc 2.26; Amazon Linux 2023 runtimes (provided.al2023, python3.12 and"
    " later, nodejs20.x and later, java21 and later) have glibc 2.34"
)
ELF_HEADER = LazyPattern(r"invalid ELF header")
ELF_CLASS = LazyPattern(r"wrong ELF class: ELFCLASS\d+")
SHARED_OBJECT = LazyPattern(
    r"(?P<path>/[\w./+-]*/)?(?P<library>[\w.+-]+\.so[\w.]*): cannot open shared object file"
)
NATIVE_READ = 50
"""The init errors, and the newest failures, read for the loader's cause."""
PACKAGED = ("/var/task/", "/opt/")
"""Where a function's own files are: its package, and its layers."""
EXTENSION_MODULE = LazyPattern(r"\.(?:cpython-|abi3\.so|pypy)|module\.so$")
"""A Python extension module's file name: the package's own compiled code, not a system
library."""
PYTHON_NATIVE = LazyPattern(
    r"Runtime\.ImportModuleError|Unable to import module|ImportError|\.cpython-|\.abi3\.so"
    r"|site-packages|/opt/python/"
)
NODE_NATIVE = LazyPattern(r"\.node\b|node_modules|ERR_DLOPEN_FAILED")


class Toolchain(NamedTuple):
    """How a language's native code is built for Lambda, and its runtimes on Amazon Linux 2023."""

    build: str
    al2023: str


PYTHON = Toolchain(
    "install wheels built for the runtime: pip install --platform manylinux2014_x86_64"
    " (manylinux2014_aarch64 for arm64) --only-binary=:all: --target <package dir>, whose"
    " wheels need only glibc 2.17, or build in the runtime's image (`sam build --use-container`)",
    "python3.12 or later",
)
NODE = Toolchain(
    "run npm install for the package in a Linux container of the runtime's image"
    " (`sam build --use-container`), for the function's architecture",
    "nodejs20.x or later",
)
BINARY = Toolchain(
    "build it in the runtime's build image (public.ecr.aws/sam/build-provided.al2 or"
    " build-provided.al2023) or statically (musl); cargo lambda targets a glibc with"
    " --target x86_64-unknown-linux-gnu.2.26 (aarch64-unknown-linux-gnu.2.26 for arm64)",
    "provided.al2023",
)


def native_start(texts: list[str]) -> NativeStart | None:
    """Why native code could not start, as the dynamic loader or the runtime said it in one of
    `texts`: a glibc newer than the runtime's, a module built for another OS or word size, a
    shared library the runtime lacks. None when none of them says."""
    joined = "\n".join(text[:4000] for text in texts)
    wanted = [
        (int(found.group("major")), int(found.group("minor")))
        for found in GLIBC_NEEDED.finditer(joined)
    ]
    tools = _toolchain(joined)
    if wanted:
        return _glibc(max(wanted), tools)
    if ELF_HEADER.search(joined) is not None:
        return NativeStart(
            "invalid ELF header (a native module built for another OS)",
            "a native module in the package (a .so, a .node) was built on another OS (macOS,"
            " Windows): Lambda runs Linux, and its loader cannot read it",
            f"Fix: {tools.build}",
            '"invalid ELF header"',
        )
    if (elf := ELF_CLASS.search(joined)) is not None:
        return NativeStart(
            f"{elf.group()} (a native library of the other word size)",
            "a native library in the package is 32-bit where the runtime is 64-bit, or the other"
            " way round",
            f"Fix: {tools.build}",
            '"wrong ELF class"',
        )
    if (missing := SHARED_OBJECT.search(joined)) is not None:
        library = missing.group("library")
        path = missing.group("path") or ""
        if path.startswith(PACKAGED) or EXTENSION_MODULE.search(library) is not None:
            return NativeStart(
                f"{library} not found (the package's compiled module is missing)",
                f"the package's own compiled module {library} is not there: it was installed"
                " on another OS or for another Python version, which built other files",
                f"Fix: {tools.build}",
                '"cannot open shared object file"',
            )
        return NativeStart(
            f"{library} not found (a shared library the runtime lacks)",
            # "the provided.al2023 runtime is based on the AL2023 minimal container image, it
            # is substantially smaller at less than 40 MB than the provided.al2 runtime at
            # around 109 MB" (Amazon Linux 2023 User Guide, "Using AL2023 in AWS Lambda")
            f"native code links to {library}, which the runtime does not have (Amazon Linux 2023"
            " runtimes carry fewer system libraries than Amazon Linux 2's)",
            f"Fix: bundle {library} in the package's lib/ or a layer's lib/ (both on Lambda's"
            " LD_LIBRARY_PATH), link it statically, or use a container image that installs it",
            '"cannot open shared object file"',
        )
    return None


def _native_start(init: list[Finding], failures: list[Finding]) -> NativeStart | None:
    """`native_start` of the init errors and the newest failures: a loader says its cause in
    each attempt alike, and a window's thousands of failures need not all be read."""
    read = [*init[:NATIVE_READ], *failures[-NATIVE_READ:]]
    return native_start([x.line.text for x in read])


def _toolchain(text: str) -> Toolchain:
    if PYTHON_NATIVE.search(text) is not None:
        return PYTHON
    if NODE_NATIVE.search(text) is not None:
        return NODE
    return BINARY


def _glibc(version: tuple[int, int], tools: Toolchain) -> NativeStart:
    named = f"{version[0]}.{version[1]}"
    why = f"native code was built against glibc {named}, newer than the runtime's: {RUNTIMES_GLIBC}"
    if version > AL2023_GLIBC:
        fix = f"Fix: no Lambda runtime has glibc {named}: {tools.build}"
    elif version > AL2_GLIBC:
        fix = (
            f"Fix: move the function to a runtime on Amazon Linux 2023 ({tools.al2023}, glibc"
            f" 2.34), or {tools.build}"
        )
    else:
        fix = f"Fix: {tools.build}"
    name = f"GLIBC_{named} not found (built for a newer glibc)"
    return NativeStart(name, why, fix, f'"GLIBC_{named}"')


_ERROR_MESSAGE = re.compile(r'"errorMessage"\s*:\s*"(?P<message>(?:[^"\\]|\\.){1,120})"')


class Pattern(Flag):
    """What the verdict found beside the failure count, each with its own advice."""

    BEGAN_WITH_CHANGE = auto()
    STOPPED_WITH_CHANGE = auto()
    ONE_VERSION_FAILING = auto()
    HANDLED_ERRORS = auto()
    """Invocations that succeeded while logging errors, a share worth a warning."""


class InitErrors(NamedTuple):
    """Init (or SnapStart restore) errors in the window."""

    lines: int
    signature: str
    last_ms: int
    restores: bool = False
    """Every line is a SnapStart restore's."""
    next_failed: bool = False
    """Most were followed, in their environment, by an invocation that failed."""
    stopped: bool = False
    """Every line is the runtime told to stop (SIGTERM): Lambda shutting the environment down."""


class Retries(NamedTuple):
    """Requests that ran again under the same id: Lambda's retries of asynchronous events."""

    requests: int = 0
    runs: int = 0
    failed: int = 0
    """Of the requests, those with a run that failed."""


class Handled(NamedTuple):
    """Invocations that succeeded while logging errors (a batch's failed records returned for
    retry, a fallback taken): not failures, but a share worth a warning."""

    succeeded: int = 0
    invocations: int = 0
    """Of those that succeeded, the ones that logged errors."""
    lines: int = 0

    def worth_a_warning(self, limits: Thresholds) -> bool:
        return bool(self.succeeded) and self.invocations / self.succeeded >= limits.error_rate_warn


class ErrorFigures(NamedTuple):
    reported: int
    failed: int = 0
    metric_errors: float | None = None
    metric_invocations: float | None = None
    types: tuple[tuple[str, int], ...] = ()
    """The four commonest error types and their failures, the commonest first."""
    typed: int | None = None
    """The failed invocations whose types were counted when Logs Insights counted the window
    (those of the lines read); None when they are all."""
    unended: int = 0
    """When no invocation completed: lines at ERROR or FATAL level logged in none (a file of
    selected lines, a function whose REPORT lines are not in it)."""
    message: str | None = None
    """The message most failures of a generic top type (`Error`) carry."""
    failed_in_init: int = 0
    """Failed invocations whose init failed (an init retried in the invocation and then
    serving it hurt nobody)."""
    init: InitErrors | None = None
    change: Change | None = None
    versions: tuple[VersionRuns, ...] = ()
    cold_only: bool = False
    """Every failure (3 at least) was a cold start not failing in init, and warm ones ran."""
    warm: int = 0
    retries: Retries = Retries()
    handled: Handled = Handled()
    last_modified: str | None = None
    causes: tuple[tuple[NamedCause, int], ...] = ()
    """The named causes (an environment's limit, expired credentials) the failures' lines name,
    each with its failed invocations, the commonest first."""
    tmp_mb: int | None = None
    """The function's ephemeral storage (/tmp), when the configuration was read."""
    native: NativeStart | None = None
    """Why native code could not start, when the init errors or the failures say."""
    extension: ExtensionFailure | None = None
    """The extension whose crash or error failed the init, when the init errors say one did."""

    @property
    def init_led(self) -> bool:
        """Most failed invocations failed in init."""
        return self.failed_in_init > 0 and 2 * self.failed_in_init >= self.failed

    @property
    def top(self) -> str:
        return self.types[0][0] if self.types else ""

    @property
    def denied(self) -> bool:
        """Every failure is an authorizer's `Unauthorized`: callers denied, not the code."""
        return self.message == UNAUTHORIZED and bool(self.types) and self.types[0][1] == self.failed


def measure(ev: Evidence, limits: Thresholds) -> ErrorFigures:
    complete = ev.complete
    reported = complete.invocations
    failed = complete.failed
    # core names every failure it gives a status (Sandbox.Timedout, Runtime.OutOfMemory, ...);
    # only a plain error may come without a type.
    types = Counter(inv.error_type or "Unhandled" for inv in failed)
    if len(failed) == 1 and failed[0].error_type in RESIZABLE and _oversized_alone(ev):
        types = Counter({RESPONSE_TOO_LARGE: 1})
    top = types.most_common(1)[0][0] if types else ""
    init = ev.family(ErrorFamily.INIT)
    change, versions = changes.in_time_order(complete.in_time_order) if failed else (None, ())
    return ErrorFigures(
        reported=ev.completed,
        failed=len(failed) if ev.window is None else ev.window.errors,
        typed=None if ev.window is None else len(failed),
        metric_errors=ev.metric_total(m.ERRORS),
        metric_invocations=ev.metric_total(m.INVOCATIONS),
        types=tuple(types.most_common(4)),
        message=_common_message(ev, failed, top) if top in TOO_COMMON else None,
        failed_in_init=len(_failed_in_init(failed, init)),
        init=_init_errors(ev, init) if init else None,
        change=change,
        versions=versions,
        cold_only=_cold_only(len(reported) - len(complete.cold), failed),
        warm=len(reported) - len(complete.cold),
        retries=_retries(reported),
        handled=_handled(ev),
        last_modified=ev.config.last_modified if ev.config else None,
        causes=_named_causes(ev, failed),
        tmp_mb=ev.config.ephemeral_storage_mb if ev.config else None,
        native=_native_start(init, ev.failures) if failed or init else None,
        extension=_extension_failure(init, ev.extensions) if init else None,
        unended=0 if ev.completed else len(_unended(ev)),
    )


def _oversized_alone(ev: Evidence) -> bool:
    """A response over 6 MB said with no request id (API Gateway's `Lambda Customer Function
    Error:Response payload size exceeded ...`): beside one failed invocation, it is its error."""
    return any(
        x.request_id is None and x.line.error_type == RESPONSE_TOO_LARGE for x in ev.failures
    )


def _unended(ev: Evidence) -> list[Finding]:
    """The errors logged that no completed invocation owns: those at ERROR or FATAL of no
    family, and an environment's limit reached, at whatever level (python2.7 and a caller's
    copy print it with none)."""
    owned = {inv.request_id for inv in ev.complete.invocations}
    limits = ev.family(ErrorFamily.ENVIRONMENT_LIMIT)
    outside = [x for x in limits if x.request_id is None or x.request_id not in owned]
    return sorted([*ev.logged_outside(), *outside], key=lambda x: x.timestamp_ms or 0)


def verdict(f: ErrorFigures, limits: Thresholds) -> Verdict:
    if not f.reported:
        if f.init is not None and f.init.stopped and not f.metric_errors:
            # No invocation, only environments Lambda stopped while they started.
            return Verdict(CheckStatus.WARN, _stopped_title(f.init))
        if f.init is not None and not f.init.stopped and not f.metric_invocations:
            # The code failed to start and no request came after: each one that comes runs the
            # init again, inside its own time, and fails the same way.
            return Verdict(CheckStatus.FAIL, _failed_init(f, f.init), leads=True)
        if f.unended and (f.metric_errors is None or not f.metric_invocations):
            # Errors the function logged, and no invocation's end to judge them by.
            return Verdict(CheckStatus.WARN, UNENDED.format(count(f.unended, "error")))
        return _from_cloudwatch(f, limits)
    status = _by_rate(f.failed / f.reported, limits)
    title = _failed_title(f) if f.failed else "No failed invocations"
    seen = Pattern(0)
    if f.failed and f.denied and status is CheckStatus.FAIL:
        status = CheckStatus.WARN  # callers denied, not the code failing
    if f.failed:
        seen, found = _around_a_change(f, limits)
        title = found or title
    if seen & Pattern.STOPPED_WITH_CHANGE and status is CheckStatus.FAIL:
        status = CheckStatus.WARN  # fixed already
    if status is CheckStatus.OK and f.handled.worth_a_warning(limits):
        status, seen = CheckStatus.WARN, seen | Pattern.HANDLED_ERRORS
        title = (
            f"{count(f.handled.invocations, 'invocation')} logged errors but succeeded"
            f" ({pct(f.handled.invocations, f.handled.succeeded)}):"
            " handled, or hidden from the Errors metric"
        )
    reason = seen or None
    if f.init is None:
        return Verdict(status, title, reason)
    if f.init_led and f.init.stopped:
        # Lambda stopped the environment while it started: the platform, not the code.
        return Verdict(CheckStatus.WARN, _stopped_title(f.init))
    if f.init_led:
        # Most invocations fail, and most of those failed in init: nothing else can be judged
        # until the code starts.
        leads = 2 * f.failed >= f.reported
        title = _failed_init(f, f.init)
        return Verdict(CheckStatus.FAIL, title, reason, leads=leads)
    # Init errors that are not what the invocations fail with: warned of, no rollback advised.
    recovered = not f.failed_in_init and not f.init.next_failed
    if status is CheckStatus.OK and f.init.stopped:
        title = _stopped_title(f.init)
    elif status is CheckStatus.OK and recovered:
        title = f"Init error, recovered: {f.init.signature}"
    return Verdict(CheckStatus.WARN if status is CheckStatus.OK else status, title, reason)


def _init_kind(init: InitErrors) -> str:
    return "SnapStart restore error" if init.restores else "Deploy or init error"


def _failed_init(f: ErrorFigures, init: InitErrors) -> str:
    """The title of an init that failed: an extension's, a SnapStart restore's, a deploy's."""
    x = f.extension
    if x is not None:
        return f"Extension error: {x.who} {x.how} ({x.error_type})"
    return f"{_init_kind(init)}: {_init_named(f)}"


def _init_named(f: ErrorFigures) -> str:
    """What the init failed on: the loader's cause when it said one, else the error's type."""
    if f.native is not None:
        return f.native.name
    return f.init.signature if f.init is not None else "unknown"


def _stopped_title(init: InitErrors) -> str:
    return f"Environment stopped by Lambda during init: {init.signature}"


def _from_cloudwatch(f: ErrorFigures, limits: Thresholds) -> Verdict:
    if f.metric_errors is None or not f.metric_invocations:
        return Verdict(CheckStatus.UNKNOWN, "No completed invocations in the window")
    share = pct(f.metric_errors, f.metric_invocations)
    return Verdict(
        _by_rate(f.metric_errors / f.metric_invocations, limits),
        f"{share} of invocations failed (CloudWatch)",
    )


def _by_rate(rate: float, limits: Thresholds) -> CheckStatus:
    if rate >= limits.error_rate_fail:
        return CheckStatus.FAIL
    if rate >= limits.error_rate_warn:
        return CheckStatus.WARN
    return CheckStatus.OK


def _failed_title(f: ErrorFigures) -> str:
    failed = (
        f"{f.failed:,} of {count(f.reported, 'invocation')} failed ({pct(f.failed, f.reported)})"
    )
    if not f.types:
        return failed  # none of them among the lines read
    if f.causes and 2 * f.causes[0][1] >= f.failed:
        cause, n = f.causes[0]
        return f"{failed}: {cause.name} (×{n})"  # says more than the type it was thrown as
    top, top_n = f.types[0]
    named = f'{top}("{f.message}")' if f.message else top
    of = f" of the {f.typed:,} read" if f.typed is not None and f.typed < f.failed else ""
    return f"{failed}, most with {named} (×{top_n}{of})"


def _around_a_change(f: ErrorFigures, limits: Thresholds) -> tuple[Pattern, str | None]:
    """Failures that began with a new version or memory size (a deploy that broke it), or that
    stopped with one (fixed already), or that fall on one of the versions served side by side."""
    if f.change is not None and changes.stopped(f.change):
        return Pattern.STOPPED_WITH_CHANGE, changes.stopped_title(f.change)
    if f.change is not None and changes.began(f.change, limits):
        return Pattern.BEGAN_WITH_CHANGE, changes.began_title(f.change)
    bad = changes.failing_version(f.versions, limits)
    if bad is not None:
        return Pattern.ONE_VERSION_FAILING, changes.version_title(bad, f.versions)
    return Pattern(0), None


def advise(f: ErrorFigures, decided: Verdict, ev: Evidence) -> Advice:
    cmd = Commands(ev)
    if not f.reported:
        return _none_completed(f, decided, ev, cmd)
    insights = cmd.insights(RECENT_ERRORS)
    cloudwatch = f.metric_errors is not None and bool(f.metric_invocations)
    seen = decided.reason if isinstance(decided.reason, Pattern) else Pattern(0)
    init = ev.family(ErrorFamily.INIT)
    lines = [
        f"{f.failed:,} of {count(f.reported, 'invocation')} failed ({pct(f.failed, f.reported)})",
        *_asides(f, seen),
    ]
    if cloudwatch:
        lines.append(
            f"CloudWatch Errors {f.metric_errors:,.0f} of {f.metric_invocations:,.0f}"
            f" ({pct(f.metric_errors or 0, f.metric_invocations or 0)})"
        )
    lines += [f"{name} ×{n}" for name, n in f.types]
    stopped = f.init is not None and f.init.stopped
    deploy = f.init is not None and f.init_led and not stopped
    if deploy and f.last_modified:
        lines.append(f"function last modified {f.last_modified}")
    if stopped:
        lines.append(STOPPED_WHY)
    if f.native is not None:
        lines.append(f.native.why)
    if deploy and f.extension is not None:
        lines += _extension_states(ev)
    quoted = sampled(init if f.init_led else _quotes(ev, f) or init)
    lines += samples(quoted)
    first: list[Step] = []
    if seen & Pattern.HANDLED_ERRORS:
        logged = _logged_by_the_succeeded(ev)
        lines.append(
            f"{count(f.handled.lines, 'line')} at ERROR level in"
            f" {count(f.handled.invocations, 'invocation')} {HANDLED_WHY}"
        )
        lines += samples(logged)
        first.append(cmd.filter_logs('"ERROR"'))
    if f.native is not None and any(_holds(f.native.term, x.line.text) for x in quoted):
        first.append(cmd.filter_logs(f.native.term))  # the loader's own words: the cause
    elif f.failed and f.top not in TOO_COMMON:
        first.append(_failure_search(cmd, f.top, quoted))
    steps = [*first, insights, *_failure_steps(f, seen, cmd)]
    if deploy:
        steps += _init_fix(f, init, cmd)
    elif f.native is not None:
        steps.append(Step(f.native.fix))
    if stopped:
        steps.append(STOPPED_FIX)
    return Advice(lines, steps)


def _none_completed(f: ErrorFigures, decided: Verdict, ev: Evidence, cmd: Commands) -> Advice:
    """No invocation completed: environments Lambda stopped while they started, or what
    CloudWatch counted."""
    insights = cmd.insights(RECENT_ERRORS)
    if f.init is not None and f.init.stopped and decided.status is CheckStatus.WARN:
        search = cmd.filter_logs(f'"{STOPPED_BY_LAMBDA}"')
        quoted = samples(sampled(ev.family(ErrorFamily.INIT)))
        return Advice([STOPPED_WHY, *quoted], [search, insights, STOPPED_FIX])
    if f.init is not None and decided.status is CheckStatus.FAIL:
        init = ev.family(ErrorFamily.INIT)
        shown = sampled(init)
        lines = [
            "no invocation completed after it: each request runs the init again and fails alike",
            *([f.native.why] if f.native is not None else []),
            *(_extension_states(ev) if f.extension is not None else []),
            *samples(shown),
        ]
        own = next(filter(None, map(_own_term, reversed(shown))), None)
        term = f.native.term if f.native is not None else own
        steps = [insights]
        if term is not None:
            steps.insert(0, cmd.filter_logs(term))
        return Advice(lines, [*steps, *_init_fix(f, init, cmd)])
    if f.metric_errors is None or not f.metric_invocations:
        if f.unended:
            unended = _unended(ev)
            steps = [insights]
            for cause in _causes_in(unended):
                steps += [Step(f"{cause.name}: {cause.why}"), *_cause_steps(cause, f.tmp_mb, cmd)]
            return Advice([UNENDED_WHY, *samples(sampled(unended))], steps)
        return Advice(steps=[insights])
    said = f"CloudWatch: {f.metric_errors:,.0f} errors in {f.metric_invocations:,.0f} invocations"
    return Advice([said], [insights])


def _quotes(ev: Evidence, f: ErrorFigures) -> list[Finding]:
    """The failures to quote, in time order: the newest line of each commonest type (the type
    searched first among them), then the newest others. A failure that only the runtime's exit
    reports, or no line at all, is quoted with the error its invocation logged before it
    (Node.js up to 6.10 printed the error, then `Process exited before completing request`)."""
    kinds = {inv.request_id: inv.error_type or "Unhandled" for inv in ev.complete.failed}
    ends: dict[str, list[Finding]] = {}
    for x in ev.failures:
        ends.setdefault(x.request_id or "", []).append(x)
    picked: list[Finding] = []
    for name, _ in f.types:
        if len(picked) >= SAMPLE_LIMIT:
            break
        of_type = [
            x for x in ev.failures if (kinds.get(x.request_id or "") or x.line.error_type) == name
        ]
        if of_type:
            newest = max(reversed(of_type), key=lambda x: x.timestamp_ms)
            bare = newest.request_id and all(
                x.line.kind in _PLATFORM_ENDINGS for x in ends[newest.request_id]
            )
            said = (
                _logged_before(ev, {newest.request_id or ""}, newest.timestamp_ms) if bare else []
            )
            group = [*said, newest]
        else:
            silent = {rid for rid, kind in kinds.items() if kind == name and rid not in ends}
            group = _logged_before(ev, silent, None)
        if len(picked) + len(group) <= SAMPLE_LIMIT:
            picked += group
    seen = {id(x) for x in picked}
    for x in reversed(ev.failures):
        if len(picked) >= SAMPLE_LIMIT:
            break
        if id(x) not in seen:
            picked.append(x)
    return sorted(picked, key=lambda x: x.timestamp_ms)


_PLATFORM_ENDINGS = frozenset((LineKind.RUNTIME_EXIT, LineKind.RUNTIME_DONE))
"""Failure lines that say only that the invocation ended badly, not why."""


def _logged_before(ev: Evidence, requests: set[str], until_ms: int | None) -> list[Finding]:
    """The newest error line one of `requests` logged (by `until_ms`) that did not end it."""
    if not requests:
        return []
    logged = [
        x
        for found in (ev.logged_errors, *ev.findings.values())
        for x in found
        if x.request_id in requests
        and not x.line.unhandled
        and (until_ms is None or x.timestamp_ms <= until_ms)
    ]
    return [max(logged, key=lambda x: x.timestamp_ms)] if logged else []


def _asides(f: ErrorFigures, seen: Pattern) -> list[str]:
    """What is said right under the count: init errors beside the failures, retries, cold
    starts, a change, an authorizer's denials."""
    said: list[str] = []
    if f.init is not None and not f.init_led:
        said.append(_init_aside(f, f.init))
    if not f.failed:
        return said
    retried = f.retries
    if retried.requests:
        said.append(
            f"{count(retried.requests, 'request')} ran again under the same id (asynchronous"
            f" retries, {retried.runs:,} runs); {retried.failed:,} of them failed a run"
        )
    if f.cold_only:
        said.append(
            f"every failure was a cold start ({f.failed:,} of {f.failed:,}); of"
            f" {count(f.warm, 'warm invocation')}, none failed"
        )
    said += _change_aside(f, seen)
    said += [
        f"{count(n, 'invocation')} failed on {cause.name}: {cause.why}" for cause, n in f.causes
    ]
    if f.denied:
        said.append(AUTHORIZER)
    return said


def _change_aside(f: ErrorFigures, seen: Pattern) -> list[str]:
    if f.change is not None and seen & Pattern.STOPPED_WITH_CHANGE:
        return [f"failures stopped with {f.change.what} at {f.change.at}"]
    if f.change is not None and seen & Pattern.BEGAN_WITH_CHANGE:
        return [f"errors began with {f.change.what} at {f.change.at}"]
    if seen & Pattern.ONE_VERSION_FAILING:
        bad = max(f.versions, key=lambda v: v.rate)
        return [f"versions served side by side; the failures are version {bad.version}'s"]
    return []


def _init_aside(f: ErrorFigures, init: InitErrors) -> str:
    """Init errors that are not what the invocations fail with: the few that failed in init
    (a bad version already rolled back), or none (an init that timed out and succeeded when
    run again)."""
    when = clock(init.last_ms)
    if f.failed_in_init:
        return (
            f"also {count(f.failed_in_init, 'invocation')} failed in init ({init.signature}),"
            f" the last at {when}"
        )
    lines = f"{count(init.lines, 'line')}, the last at {when}"
    if init.next_failed:
        return (
            f"init error: {init.signature} ({lines}); the invocations that followed failed too:"
            " the init ran again inside them, against their timeout"
        )
    return (
        f"init error, then served: {init.signature} ({lines}); the invocations that followed"
        " succeeded"
    )


def _failure_steps(f: ErrorFigures, seen: Pattern, cmd: Commands) -> list[Step]:
    """The fixes for the failures' type, the change they came with, cold starts, retries."""
    if not f.failed:
        return []
    steps = [Step(TYPE_FIXES[f.top])] if f.top in TYPE_FIXES else []
    for cause, _ in f.causes:
        steps += _cause_steps(cause, f.tmp_mb, cmd)
    if f.change is not None and seen & Pattern.BEGAN_WITH_CHANGE:
        steps += changes.began_steps(f.change, cmd)
    if seen & Pattern.ONE_VERSION_FAILING:
        bad = max(f.versions, key=lambda v: v.rate)
        steps.append(changes.version_step(bad, f.versions, cmd))
    if f.cold_only:
        steps.append(COLD_FIX)
    if f.retries.requests:
        steps += [cmd.lambda_function("get-function-event-invoke-config"), KEEP_FAILED_EVENTS]
    return steps


def _cause_steps(cause: NamedCause, tmp_mb: int | None, cmd: Commands) -> list[Step]:
    """What to do about a cause: its fix, and for /tmp its size and a bigger one."""
    if cause is not TMP_FULL:
        return [Step(cause.fix)]
    steps = [cmd.function_config("EphemeralStorage"), Step(cause.fix)]
    if tmp_mb is None or tmp_mb < TMP_MOST_MB:
        wanted = min(TMP_MOST_MB, max(TMP_RAISED_MB, 2 * (tmp_mb or 0)))
        steps.append(cmd.update(f"--ephemeral-storage Size={wanted}"))
    return steps


def _named_causes(ev: Evidence, failed: list[Invocation]) -> tuple[tuple[NamedCause, int], ...]:
    """The named causes the failed invocations' error lines hold, the commonest first."""
    ids = {inv.request_id for inv in failed}
    reached: dict[NamedCause, set[str]] = {}
    for finding in ev.failures:
        if finding.request_id not in ids:
            continue
        text = finding.line.text[:4000]
        for cause in NAMED_CAUSES:
            if cause.words.search(text) is not None:
                reached.setdefault(cause, set()).add(finding.request_id or "")
    ranked = sorted(reached.items(), key=lambda item: -len(item[1]))
    return tuple((cause, len(ids)) for cause, ids in ranked)


def _causes_in(found: list[Finding]) -> list[NamedCause]:
    """The named causes these lines hold, in NAMED_CAUSES' order."""
    texts = [x.line.text[:4000] for x in found]
    return [c for c in NAMED_CAUSES if any(c.words.search(text) for text in texts)]


def _failure_search(cmd: Commands, error_type: str, quoted: list[Finding]) -> Step:
    """The search for the invocations that failed with `error_type`, in words a line quoted
    beside it holds: else the search finds none of the lines the engineer is shown."""
    text = _type_pattern(error_type)
    shown = [x.line.text for x in quoted]
    json = JSON_PATTERNS.get(error_type)
    if not shown or any(_holds(text, line) for line in shown):
        return cmd.filter_reports(text, json or text, shown)
    if json is not None and any(
        x.line.error_type == error_type and is_platform_event(x.line.text) for x in quoted
    ):
        return cmd.filter_logs(json)  # the platform's JSON event of that type is quoted
    own = next(filter(None, map(_own_term, reversed(quoted))), None)
    return cmd.filter_logs(own) if own is not None else cmd.filter_reports(text, text, shown)


def _type_pattern(error_type: str) -> str:
    if error_type in PATTERNS:
        return PATTERNS[error_type]
    words = LOG_WORDS.get(error_type, error_type)
    # A filter pattern's quoted term holds no quote or backslash (a PHP class name's, escaped
    # again in JSON): search the longest piece without.
    return f'"{max(_UNQUOTABLE.split(words), key=len).strip(" -:")}"'


def _holds(pattern: str, line: str) -> bool:
    """Whether `line` holds one of the quoted terms of a pattern of terms or alternatives."""
    return any(term in line for term in _QUOTED_TERM.findall(pattern))


def _own_term(finding: Finding) -> str | None:
    """A pattern this failure's own line holds: its error type's words, what it was
    classified by, or its level as written."""
    line = finding.line
    named = line.error_type
    candidates = [_type_pattern(named)] if named and named not in TOO_COMMON else []
    if named and named not in TOO_COMMON:
        # The type itself, where its usual words are not on the line (`INIT_REPORT ... Error
        # Type: Runtime.ExitError` says no `Runtime exited`).
        candidates.append(f'"{named}"')
    if finding.classification is not None:
        candidates.append(_type_pattern(finding.classification.signature))
    if line.level is not None:
        candidates.append(f'"{line.level.value}"')
    return next((c for c in candidates if _holds(c, line.text)), None)


def _extension_failure(init: list[Finding], extensions: list[Finding]) -> ExtensionFailure | None:
    """The extension whose failure the init errors name, by the EXTENSION lines' names: the
    one in an error state, else the only one started, else all of them."""
    found = next(
        (hit for f in reversed(init) if (hit := _EXTENSION_FAILURE.search(f.line.text, 0, 4000))),
        None,
    )
    if found is None:
        return None
    states: dict[str, str] = {}
    for finding in extensions:
        named = _EXTENSION_NAME.search(finding.line.text, 0, 400)
        if named is not None:
            states[one_line(named.group("name"))[:80]] = named.group("state") or ""
    failed = tuple(name for name, state in states.items() if state.endswith("Error"))
    names = failed or tuple(states)
    return ExtensionFailure(found.group(), names, alone=len(names) == 1)


def _init_fix(f: ErrorFigures, init: list[Finding], cmd: Commands) -> list[Step]:
    """What to look at and do about an init that failed: an extension's layer and its
    settings, else the deploy (the versions to roll back to)."""
    x = f.extension
    if x is None:
        # Native code the loader could not start is no handler setting's fault.
        named = [cmd.function_config("Handler")] if _names_the_handler(init, f.native) else []
        return [
            *named,
            cmd.lambda_function("list-versions-by-function"),
            _deploy_fix(init, f.native),
        ]
    return [
        cmd.function_config("Layers"),
        cmd.function_config("Environment.Variables"),
        Step(EXTENSION_FIX.format(who=x.who, how=x.how)),
    ]


def _names_the_handler(init: list[Finding], native: NativeStart | None) -> bool:
    """Whether an init error names what the handler setting names (a module, a class, an
    assembly): the setting, shown beside it, is compared at once."""
    return native is None and any(HANDLER_NAMED.search(f.line.text, 0, 4000) for f in init[:50])


def _extension_states(ev: Evidence) -> list[str]:
    """The extensions the environments started, and their states, as Lambda said them."""
    said = dict.fromkeys(
        f"{one_line(named.group('name'))[:80]} ({named.group('state') or 'state not said'})"
        for finding in ev.extensions
        if (named := _EXTENSION_NAME.search(finding.line.text, 0, 400)) is not None
    )
    return [f"extensions started: {', '.join(list(said)[:SAMPLE_LIMIT])}"] if said else []


def _deploy_fix(init: list[Finding], native: NativeStart | None) -> Step:
    if native is not None:
        return Step(f"{native.fix}; meanwhile, roll back to the last good version (the alias)")
    text = " ".join(f.line.text.lower() for f in init[:50])
    cause = next((fix for words, fix in DEPLOY_CAUSES if words in text), None)
    if cause is None:
        return ROLL_BACK_DEPLOY
    return Step(f"Fix: {cause}; meanwhile, roll back to the last good version (the alias)")


def _failed_in_init(failed: list[Invocation], init: list[Finding]) -> set[str]:
    """The failed invocations the init errors hit; an init that failed and was retried in the
    invocation's own time (`Phase: invoke`) and then served it hurt nobody."""
    hit = {inv.request_id for inv in failed if ErrorFamily.INIT in inv.families}
    return hit | ({f.request_id for f in init if f.request_id} & {inv.request_id for inv in failed})


def _init_errors(ev: Evidence, init: list[Finding]) -> InitErrors:
    signatures = Counter(f.classification.signature for f in init if f.classification)
    return InitErrors(
        lines=len(init),
        signature=signatures.most_common(1)[0][0],
        last_ms=max(f.timestamp_ms for f in init),
        restores=all(f.line.text.startswith("RESTORE_") for f in init),
        stopped=all(STOPPED_BY_LAMBDA in f.line.text[:4000] for f in init),
        next_failed=_next_failed(ev, init),
    )


def _next_failed(ev: Evidence, init: list[Finding]) -> bool:
    """Whether most init errors were followed, in their environment, by an invocation that
    failed."""
    by_stream: dict[str, list[Invocation]] = {}
    for inv in ev.reported:
        by_stream.setdefault(inv.stream, []).append(inv)
    failed = 0
    for finding in init:
        after = [
            inv
            for inv in by_stream.get(finding.stream, [])
            if (inv.end_ms or 0) >= finding.timestamp_ms
        ]
        first = min(after, key=lambda inv: inv.start_ms or inv.end_ms or 0, default=None)
        failed += first is not None and first.failed
    return 2 * failed > len(init)


def _cold_only(warm: int, failed: list[Invocation]) -> bool:
    """Failures that come only with a cold start point at what the init sets up (an init that
    fails never serves warm: the deploy is that story). `warm`: the warm starts."""
    return (
        len(failed) >= changes.FAILURES_TO_BLAME
        and warm >= changes.MIN_SIDE
        and all(inv.cold for inv in failed)
        and not any(ErrorFamily.INIT in inv.families for inv in failed)
    )


def _retries(reported: list[Invocation]) -> Retries:
    retried = [inv for inv in reported if inv.attempts > 1]
    return Retries(
        requests=len(retried),
        runs=sum(inv.attempts for inv in retried),
        failed=sum(1 for inv in retried if inv.failed),
    )


def _logged_by_the_succeeded(ev: Evidence) -> list[Finding]:
    succeeded = ev.complete.succeeded_ids
    return [f for f in ev.logged_errors if f.request_id in succeeded]


def _handled(ev: Evidence) -> Handled:
    logged = _logged_by_the_succeeded(ev)
    return Handled(
        succeeded=len(ev.reported) - len(ev.complete.failed),
        invocations=len({f.request_id for f in logged}),
        lines=len(logged),
    )


def _common_message(ev: Evidence, failed: list[Invocation], error_type: str) -> str | None:
    """The message most of the failures of a generic error type (`Error`, `Exception`) carry,
    when one does: `Error("Unauthorized")` says more than `Error`."""
    ids = {inv.request_id for inv in failed if inv.error_type == error_type}
    messages: Counter[str] = Counter()
    for finding in ev.failures:
        if finding.request_id not in ids or finding.line.error_type != error_type:
            continue
        text = finding.line.text[:4000]
        found = _ERROR_MESSAGE.search(text)
        if found is not None:
            messages[one_line(found.group("message"), 80)] += 1
        elif (at := text.find(f"{error_type}: ")) >= 0:
            messages[one_line(text[at + len(error_type) + 2 :].split("\n", 1)[0], 80)] += 1
    if not messages:
        return None
    message, n = messages.most_common(1)[0]
    return message if message and 2 * n > len(ids) else None
