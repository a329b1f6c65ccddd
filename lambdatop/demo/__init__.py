"""The simulated account: moto in server mode and a generator writing the debugging guide's
incidents into it in AWS's own formats. Shares no code with core, diagnose, aws, ui or cli.

Nothing is imported here: `lambdatop --demo`'s monitor imports `account_process` alone, without
moto (the account runs in a child process, `account_process.py`)."""
