"""The live layer: events, the hub, brokers, presence and the WebSocket gateway. It knows
no feature: features publish events through the unit of work and register commands."""
