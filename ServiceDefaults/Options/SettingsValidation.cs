using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Infrastructure.ServiceDefaults.Options;

/// <summary>
/// Data-annotation validation of a settings class and of every object under it (nested sections, list and dictionary
/// entries), with each failure naming the configuration key an operator sets, e.g. <c>Gateway:HttpClient:ConnectTimeout</c>.
/// </summary>
/// <remarks>
/// <c>ValidateDataAnnotations()</c> checks only the top-level properties: a <c>[Range]</c> on a nested section's property is
/// never looked at, so an out-of-range value there starts the server silently.
/// </remarks>
public static class SettingsValidation
{
    /// <summary>Validates the options bound from <paramref name="section"/> (and everything nested in them) on every creation.</summary>
    [RequiresUnreferencedCode("Reads the settings classes' properties by reflection.")]
    public static OptionsBuilder<T> ValidateSettings<T>(this OptionsBuilder<T> builder, string section)
        where T : class
    {
        builder.Services.AddSingleton<IValidateOptions<T>>(new Validator<T>(builder.Name, section));
        return builder;
    }

    /// <summary>Every data-annotation failure in <paramref name="settings"/> and below it, each prefixed with its key under <paramref name="section"/>.</summary>
    [RequiresUnreferencedCode("Reads the settings classes' properties by reflection.")]
    public static List<string> Check(object settings, string section)
    {
        var failures = new List<string>();
        Walk(settings, section, failures, depth: 0);
        return failures;
    }

    [RequiresUnreferencedCode("Reads the settings classes' properties by reflection.")]
    private static void Walk(object value, string path, List<string> failures, int depth)
    {
        var results = new List<ValidationResult>();
        System.ComponentModel.DataAnnotations.Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true);
        foreach (var r in results)
        {
            var members = r.MemberNames.ToList();
            failures.Add(members.Count == 0 ? $"{path}: {r.ErrorMessage}" : $"{path}:{string.Join(",", members)}: {r.ErrorMessage}");
        }
        if (depth >= 8)
        {
            return;
        }
        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || !property.CanRead || !IsSettingsObject(property.PropertyType))
            {
                continue;
            }
            var child = property.GetValue(value);
            var childPath = $"{path}:{property.Name}";
            switch (child)
            {
                case null or string:
                    break;
                case IDictionary dictionary:
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        if (entry.Value is { } v && IsSettingsObject(v.GetType()))
                        {
                            Walk(v, $"{childPath}:{Convert.ToString(entry.Key, CultureInfo.InvariantCulture)}", failures, depth + 1);
                        }
                    }
                    break;
                case IEnumerable list:
                    var index = 0;
                    foreach (var item in list)
                    {
                        if (item is not null && IsSettingsObject(item.GetType()))
                        {
                            Walk(item, $"{childPath}:{index.ToString(CultureInfo.InvariantCulture)}", failures, depth + 1);
                        }
                        index++;
                    }
                    break;
                default:
                    Walk(child, childPath, failures, depth + 1);
                    break;
            }
        }
    }

    // Classes the binder fills from a section: not strings, URIs, primitives or other value-like types.
    private static bool IsSettingsObject(Type type) =>
        !type.IsPrimitive && !type.IsEnum && !type.IsValueType && type != typeof(string) && type != typeof(Uri) && type != typeof(object)
        && type != typeof(Type) && !typeof(Delegate).IsAssignableFrom(type);

    private sealed class Validator<T>(string? name, string section) : IValidateOptions<T>
        where T : class
    {
        [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Registered through ValidateSettings, which carries the requirement.")]
        public ValidateOptionsResult Validate(string? optionsName, T options)
        {
            if (name is not null && name != optionsName)
            {
                return ValidateOptionsResult.Skip;
            }
            var failures = Check(options, section);
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }
}
