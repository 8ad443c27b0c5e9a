"""Client side of the registry protocol: upstream URLs, auth challenges, the downloader.

Import the modules themselves (``upstream.urls``, ``upstream.challenge``, ...): ``urls``,
``challenge`` and ``plan`` are pure and load without Django; ``downloaders`` needs pulpcore.
"""
