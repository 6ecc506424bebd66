using Microsoft.AspNetCore.Http;

namespace Infrastructure.Gateway.Routing;

/// <summary>An immutable, ordered set of routes. Swapped atomically on reload, so a request sees one table from start to end.</summary>
internal sealed class RouteTable
{
    public static readonly RouteTable Empty = new([]);

    private readonly int _weightGroups;

    public RouteTable(Route[] routes)
    {
        for (var i = 0; i < routes.Length; i++)
        {
            routes[i].Index = i;
        }
        Array.Sort(routes, static (a, b) => a.Order != b.Order ? a.Order.CompareTo(b.Order) : a.Index.CompareTo(b.Index));
        Routes = routes;
        _weightGroups = AssignWeightSlices(routes);
    }

    public Route[] Routes { get; }

    public Route? Find(string id)
    {
        foreach (var r in Routes)
        {
            if (string.Equals(r.Id, id, StringComparison.Ordinal))
            {
                return r;
            }
        }
        return null;
    }

    public Route? Match(HttpContext context, Route? exclude = null)
    {
        // One draw per weight group per request, taken lazily by the first Weight predicate of the group.
        Span<double> draws = _weightGroups == 0 ? default : _weightGroups <= 16 ? stackalloc double[_weightGroups] : new double[_weightGroups];
        draws.Fill(double.NaN);
        var context2 = new MatchContext { Http = context, WeightDraws = draws };
        foreach (var route in Routes)
        {
            if (ReferenceEquals(route, exclude))
            {
                continue;
            }
            var all = true;
            foreach (var p in route.Predicates)
            {
                bool matches;
                try
                {
                    matches = p.Matches(ref context2);
                }
                catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
                {
                    // A header, cookie or query value built to make a route's regex backtrack past its 1 s budget: the
                    // predicate does not hold (the next route may take the request), rather than a 500 for every such call.
                    matches = false;
                }
                if (!matches)
                {
                    all = false;
                    break;
                }
            }
            if (all)
            {
                return route;
            }
        }
        return null;
    }

    /// <summary>Gives each Weight predicate its slice [From, To) of [0, 1) within its group, proportional to its weight.</summary>
    private static int AssignWeightSlices(Route[] routes)
    {
        var groups = new Dictionary<string, List<WeightPredicate>>(StringComparer.Ordinal);
        foreach (var r in routes)
        {
            foreach (var p in r.Predicates)
            {
                if (p is WeightPredicate w)
                {
                    if (!groups.TryGetValue(w.Group, out var list))
                    {
                        groups[w.Group] = list = [];
                    }
                    list.Add(w);
                }
            }
        }
        var index = 0;
        foreach (var list in groups.Values)
        {
            double total = 0;
            foreach (var w in list)
            {
                total += w.Weight;
            }
            double from = 0;
            foreach (var w in list)
            {
                var share = total == 0 ? 0 : w.Weight / total;
                w.GroupIndex = index;
                w.From = from;
                w.To = from + share;
                from += share;
            }
            // Rounding must not leave a sliver of [0, 1) to no route.
            for (var i = list.Count - 1; i >= 0; i--)
            {
                if (list[i].Weight > 0)
                {
                    list[i].To = 1.0;
                    break;
                }
            }
            index++;
        }
        return groups.Count;
    }
}
