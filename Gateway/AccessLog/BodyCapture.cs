using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Serilog;

namespace Infrastructure.Gateway.AccessLog;

/// <summary>
/// Access-log body capture for a route with metadata <c>log-bodies</c>: the request and response bodies keep streaming
/// as before, and the first <c>log-bodies-max-bytes</c> of each text body are copied aside as they pass, then set on
/// the request's access-log line (<c>RequestBody</c>, <c>ResponseBody</c> and their <c>...Truncated</c> flags).
/// </summary>
internal sealed class BodyCapture
{
    private readonly HttpContext _context;
    private readonly Stream? _originalRequestBody;
    private readonly RequestTee? _request;
    private readonly IHttpResponseBodyFeature? _originalResponseBody;
    private readonly ResponseTee? _response;

    private BodyCapture(HttpContext context, int maxBytes)
    {
        _context = context;
        var request = context.Request;
        if (TextEncoding(request.ContentType, request.Headers.ContentEncoding) is { } requestEncoding)
        {
            _originalRequestBody = request.Body;
            _request = new RequestTee(_originalRequestBody, new CaptureBuffer(maxBytes) { Encoding = requestEncoding });
            request.Body = _request;
        }
        if (context.Features.Get<IHttpResponseBodyFeature>() is { } responseBody)
        {
            _originalResponseBody = responseBody;
            _response = new ResponseTee(context.Response, responseBody, new CaptureBuffer(maxBytes));
            context.Features.Set<IHttpResponseBodyFeature>(_response);
        }
    }

    /// <summary>Puts the tees in place; the bodies are read and written through them from now on.</summary>
    public static BodyCapture Start(HttpContext context, int maxBytes) => new(context, maxBytes);

    /// <summary>Takes the tees out again once the proxy is done with the bodies.</summary>
    public async Task CompleteAsync()
    {
        if (_request is not null)
        {
            _context.Request.Body = _originalRequestBody!;
        }
        if (_response is not null)
        {
            await _response.FlushWriterAsync().ConfigureAwait(false);
            _context.Features.Set(_originalResponseBody);
        }
    }

    /// <summary>Adds what the tees saw to the access-log line (called only when that line is written).</summary>
    public void Report(IDiagnosticContext accessLog)
    {
        if (_request is not null)
        {
            Report(accessLog, "RequestBody", _request.Capture);
        }
        if (_response is not null)
        {
            Report(accessLog, "ResponseBody", _response.Capture);
        }
    }

    private static void Report(IDiagnosticContext accessLog, string name, CaptureBuffer capture)
    {
        if (capture.Encoding is null || capture.Total == 0)
        {
            return;
        }
        accessLog.Set(name, capture.Text);
        accessLog.Set(name + "Truncated", capture.Truncated);
    }

    /// <summary>The encoding to read a body with, or null when it is not text (binary media types, compressed, no Content-Type).</summary>
    internal static Encoding? TextEncoding(string? contentType, Microsoft.Extensions.Primitives.StringValues contentEncoding)
    {
        if (contentEncoding.Count > 0 && !string.Equals(contentEncoding.ToString(), "identity", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return null;
        }
        var isText = media.Type.Equals("text", StringComparison.OrdinalIgnoreCase)
            || media.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase)
            || media.Suffix.Equals("xml", StringComparison.OrdinalIgnoreCase)
            || (media.Type.Equals("application", StringComparison.OrdinalIgnoreCase) && TextApplicationTypes.Contains(media.SubType.ToString()));
        return isText ? media.Encoding ?? Encoding.UTF8 : null;
    }

    private static readonly HashSet<string> TextApplicationTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        "json", "xml", "x-www-form-urlencoded", "javascript", "ecmascript", "graphql", "x-ndjson", "ndjson", "yaml", "x-yaml", "sql",
    };

    /// <summary>The first bytes of a body and how many there were in all.</summary>
    internal sealed class CaptureBuffer(int limit)
    {
        private byte[]? _bytes;
        private int _count;

        /// <summary>How to decode the body; null when it is not text (then nothing is kept).</summary>
        public Encoding? Encoding { get; set; }

        public long Total { get; private set; }

        public bool Truncated => Total > _count;

        public void Append(ReadOnlySpan<byte> data)
        {
            Total += data.Length;
            var take = Math.Min(data.Length, limit - _count);
            if (take <= 0)
            {
                return;
            }
            _bytes ??= new byte[limit];
            data[..take].CopyTo(_bytes.AsSpan(_count));
            _count += take;
        }

        public string Text
        {
            get
            {
                if (_bytes is null || Encoding is null)
                {
                    return "";
                }
                var text = Encoding.GetString(_bytes, 0, _count);
                // The cap may cut a multi-byte character in half; its remains decode to U+FFFD.
                return Truncated ? text.TrimEnd('\uFFFD') : text;
            }
        }
    }

    /// <summary>Reads through to the client's request body, copying what passes by.</summary>
    private sealed class RequestTee(Stream inner, CaptureBuffer capture) : Stream
    {
        public CaptureBuffer Capture => capture;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            capture.Append(buffer.Span[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(Span<byte> buffer)
        {
            var read = inner.Read(buffer);
            capture.Append(buffer[..read]);
            return read;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// Stands in for the response body feature: writes go straight on to the server's body stream (no buffering, each
    /// write flushed as before), copying what passes by once the response's Content-Type says it is text.
    /// </summary>
    private sealed class ResponseTee(HttpResponse response, IHttpResponseBodyFeature inner, CaptureBuffer capture) : Stream, IHttpResponseBodyFeature
    {
        private PipeWriter? _writer;
        private bool _decided;

        public CaptureBuffer Capture => capture;

        Stream IHttpResponseBodyFeature.Stream => this;

        PipeWriter IHttpResponseBodyFeature.Writer => _writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void DisableBuffering() => inner.DisableBuffering();

        public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken);

        public async Task CompleteAsync()
        {
            await FlushWriterAsync().ConfigureAwait(false);
            await inner.CompleteAsync().ConfigureAwait(false);
        }

        public async Task FlushWriterAsync()
        {
            if (_writer is null)
            {
                return;
            }
            try
            {
                await _writer.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The client went away; the access log still gets what was captured.
            }
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Observe(buffer.Span);
            await inner.Stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Observe(buffer);
            inner.Stream.Write(buffer);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.Stream.FlushAsync(cancellationToken);

        public override void Flush() => inner.Stream.Flush();

        private void Observe(ReadOnlySpan<byte> data)
        {
            if (!_decided)
            {
                // The first write comes after the status and headers are set: now the Content-Type is known.
                _decided = true;
                capture.Encoding = TextEncoding(response.ContentType, response.Headers.ContentEncoding);
            }
            if (capture.Encoding is not null)
            {
                capture.Append(data);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
