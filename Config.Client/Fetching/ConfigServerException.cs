namespace Infrastructure.Config.Client.Fetching;

/// <summary>The server answered, but not with a usable environment.</summary>
internal sealed class ConfigServerException(string message) : Exception(message);
