"""The registry's write half (issue 15): push targets, blob uploads, pushed-blob bookkeeping.

``handler.PushHandler`` resolves where a write goes (``target.py``) and who makes it, and hands
out the name's WritableStore (``store.PushStore``, ``stores/protocol.py``), through which every
handler writes; the routes are bound in ``app/content.py``.
"""
