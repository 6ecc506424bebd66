namespace Infrastructure.Mesh.Api.Resources;

/// <summary>Why a resource (or a whole file) was rejected: where it came from, which resource, which field, and the reason.</summary>
/// <param name="Source">The file (or config-server source) the resource was read from.</param>
/// <param name="Resource">"Kind namespace/name", or "" when the document could not be read far enough to name it.</param>
/// <param name="Field">The field path, e.g. <c>spec.http[0].route[1].weight</c>; "" for the whole document or file.</param>
/// <param name="Message">The reason, in Istio's words where Istio has them.</param>
public sealed record ResourceError(string Source, string Resource, string Field, string Message)
{
    /// <summary>One line: <c>reviews.yaml: VirtualService default/reviews: spec.http[0].route[1].weight: weight -1 &lt; 0</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>(4);
        if (Source.Length > 0)
        {
            parts.Add(Source);
        }
        if (Resource.Length > 0)
        {
            parts.Add(Resource);
        }
        if (Field.Length > 0)
        {
            parts.Add(Field);
        }
        parts.Add(Message);
        return string.Join(": ", parts);
    }
}
