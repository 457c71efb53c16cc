"""Background tasks: how a `Task` travels (inline in the web process, or through dramatiq on Redis or
RabbitMQ) and how it finds its handler (`TaskDispatcher`, over the registry the container builds)."""
