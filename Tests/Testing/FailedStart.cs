namespace Infrastructure.Testing;

/// <summary>Starts an in-memory server that is expected to refuse to start and returns why it refused.</summary>
public static class FailedStart
{
    private const int Attempts = 5;

    /// <summary>
    /// Creates a factory with <paramref name="create"/>, starts it with <paramref name="start"/> and returns the exception
    /// the start threw; throws if the server started.
    /// </summary>
    /// <remarks>
    /// WebApplicationFactory races the application's own start on minimal hosting: when the start fails fast,
    /// Program's <c>app.Run()</c> can dispose the host before the factory resolves <c>IHostApplicationLifetime</c> from
    /// it, and the factory then throws <see cref="ObjectDisposedException"/> for the service provider instead of the
    /// start's own failure (dotnet/aspnetcore#33494; seen here under load). That outcome says nothing about the
    /// configuration under test, so the start is tried again on a fresh factory.
    /// </remarks>
    public static Exception Of<TFactory>(Func<TFactory> create, Action<TFactory> start)
        where TFactory : IDisposable
    {
        for (var attempt = 1; ; attempt++)
        {
            var factory = create();
            Exception? failure = null;
            try
            {
                start(factory);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
            finally
            {
                // A host that never started may throw its start failure again when disposed.
                try
                {
                    factory.Dispose();
                }
                catch (Exception)
                {
                }
            }
            if (failure is null)
            {
                throw new InvalidOperationException("the server started although its configuration is invalid");
            }
            if (!IsDisposedProviderRace(failure) || attempt == Attempts)
            {
                return failure;
            }
        }
    }

    private static bool IsDisposedProviderRace(Exception ex) =>
        ex.GetBaseException() is ObjectDisposedException { ObjectName: "IServiceProvider" };
}
