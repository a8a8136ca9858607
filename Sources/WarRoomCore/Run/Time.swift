/// Milliseconds since the Unix epoch, UTC. The core never reads a clock: callers pass time in.
public typealias Millis = Int64
