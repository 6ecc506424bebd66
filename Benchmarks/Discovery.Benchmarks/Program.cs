Console.WriteLine("Registry load harness: see README (filled in by the Discovery issue).");
