"""SQL of the IM server, one small module per concern; no HTTP, no sockets."""
