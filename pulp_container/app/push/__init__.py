"""The registry's write half: blob uploads, manifest pushes and deletes, push repositories."""
