"""The browser client: static files (ES modules, no build step) served by im_server.webclient."""
