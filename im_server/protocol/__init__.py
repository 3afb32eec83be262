"""The IM frame protocol, free of I/O: parse and validate frames, decide, encode replies.

The websocket transport feeds text in and sends what comes out; tests drive this package
directly, without sockets. See docs/protocol.md.
"""
from im_server.protocol.core import (  # noqa: F401
    PROTOCOL_VERSION,
    Close,
    Dispatch,
    ProtocolCore,
    ProtocolError,
    Reply,
    encode_error,
    encode_event,
    encode_result,
)
