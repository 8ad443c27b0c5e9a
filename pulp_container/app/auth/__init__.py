"""Registry authentication: who is asking, and what they may pull or push."""
