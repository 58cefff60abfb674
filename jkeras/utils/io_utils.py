"""Where jkeras prints: stdout, or the Python logger "jkeras" when interactive logging is off
(`jkeras.config.disable_interactive_logging`)."""
import logging
import sys

from jkeras import config


def print_msg(message, line_break=True):
    """Prints `message` (the progress bars, `summary()`, callback messages).

    Args:
        message: the text.
        line_break: whether a newline follows it (stdout only; a log record is always one line).
    """
    if config.is_interactive_logging_enabled():
        sys.stdout.write(message + ("\n" if line_break else ""))
        sys.stdout.flush()
    else:
        logging.getLogger("jkeras").info(message.strip("\r\n"))
