namespace Infrastructure.Samples.Catalog.Products;

/// <summary>A product as the catalog serves it.</summary>
public sealed record Product(int Id, string Name, string Category, decimal Price);
