import Testing

/// Every test that drives the real binary, one at a time. They wait on
/// processes and terminals from a thread of Swift's shared pool (two threads
/// on a two-core machine); run side by side they would hold both for seconds
/// and stall every other test's deadlines.
@Suite(.serialized) enum EndToEnd {}
