namespace Infrastructure.Mesh.ControlPlane.Analysis;

/// <summary>istioctl analyze's levels.</summary>
internal enum FindingLevel
{
    Info,
    Warning,
    Error,
}

/// <summary>One analyzer message, as <c>istioctl analyze</c> prints it.</summary>
/// <param name="Level">Error, Warning or Info.</param>
/// <param name="Code">The IST code, e.g. IST0101.</param>
/// <param name="Resource">"Kind namespace/name", or "" for a file that could not be read.</param>
/// <param name="Source">The file it came from.</param>
/// <param name="Message">Istio's message text.</param>
internal sealed record Finding(FindingLevel Level, string Code, string Resource, string Source, string Message)
{
    /// <summary><c>Error [IST0101] (VirtualService default/reviews reviews.yaml) Referenced host+subset in destinationrule not found: "reviews+v3"</c>.</summary>
    public override string ToString()
    {
        var where = string.Join(' ', new[] { Resource, Source }.Where(s => s.Length > 0));
        return $"{Level} [{Code}] ({where}) {Message}";
    }
}
