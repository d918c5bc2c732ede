"""The RealWorld ("Conduit") API: the blog's data in RealWorld's shapes, for its front-ends."""

PATH = "/api"
"""Where the RealWorld API is served."""
