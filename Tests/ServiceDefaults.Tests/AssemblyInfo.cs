// These tests install process-wide telemetry (propagators, exporters, console capture) and start real collectors;
// run them one class at a time so one test's exporters never see another's traffic.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
