"""Media: images and files uploaded over HTTP into a conversation and sent as messages.

``storage`` keeps the bytes on disk, ``images`` checks and re-encodes images with Pillow,
``store`` holds the SQL for media rows and ``views`` the HTTP endpoints.
"""
