using System.ComponentModel.DataAnnotations;

namespace Infrastructure.Samples.Catalog.Products;

/// <summary>The <c>Catalog</c> section: behaviour a lab changes live through Config.Server.</summary>
public sealed class CatalogOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Catalog";

    /// <summary>A line shown with every listing (default "Welcome to the catalog").</summary>
    [Required]
    public string Banner { get; set; } = "Welcome to the catalog";

    /// <summary>Percentage taken off every price (0..90, default 0).</summary>
    [Range(0, 90)]
    public int DiscountPercent { get; set; }
}
