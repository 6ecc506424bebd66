// Every test runs a mesh of real processes; two at once would starve a 2-core machine and blur the timings they check.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
