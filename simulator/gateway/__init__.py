"""Route handlers of the vendor endpoints: parse, make one service call, answer the vendor body."""
