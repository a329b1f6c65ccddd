"""Raw CloudWatch Logs lines, exactly as AWS Lambda and each runtime write them.

Written from the AWS documentation and the runtime interface clients, never from lambdatop's
parser: a parser bug must not hide behind a matching generator bug.
"""

from lambdatop.demo.formats.render import LogLine, render_invocation

__all__ = ["LogLine", "render_invocation"]
