"""The one message initlib gives for a name it does not know."""

import difflib


def unknown_name(kind, name, valid, how="", *, noun="names"):
    """A ValueError naming what was received, the closest valid name and all of them.

    >>> print(unknown_name("activation", "relu6", ["relu", "tanh"], "Pass one of them."))
    Unknown activation 'relu6'. Did you mean 'relu'? Valid names: relu, tanh. Pass one of them.
    """
    valid = [str(v) for v in valid]
    close = difflib.get_close_matches(str(name), valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    message = f"Unknown {kind} {name!r}.{hint} Valid {noun}: {', '.join(valid)}."
    return ValueError(f"{message} {how}" if how else message)
