"""The IM server: the aiohttp application that serves the HTTP API (and later the websocket)."""
