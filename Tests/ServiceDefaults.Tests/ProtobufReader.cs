using Google.Protobuf;

namespace Infrastructure.ServiceDefaults.Tests;

/// <summary>
/// Just enough protobuf decoding to read an OTLP request without its generated classes: a message becomes a map from
/// field number to the raw values (bytes for length-delimited fields, numbers otherwise).
/// </summary>
internal sealed class ProtobufMessage
{
    private readonly Dictionary<int, List<object>> _fields = [];

    public static ProtobufMessage Parse(byte[] data)
    {
        var message = new ProtobufMessage();
        var input = new CodedInputStream(data);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var number = WireFormat.GetTagFieldNumber(tag);
            object value = WireFormat.GetTagWireType(tag) switch
            {
                WireFormat.WireType.Varint => input.ReadUInt64(),
                WireFormat.WireType.Fixed64 => input.ReadFixed64(),
                WireFormat.WireType.Fixed32 => input.ReadFixed32(),
                WireFormat.WireType.LengthDelimited => input.ReadBytes().ToByteArray(),
                var other => throw new InvalidDataException("unexpected wire type " + other),
            };
            if (!message._fields.TryGetValue(number, out var list))
            {
                message._fields[number] = list = [];
            }
            list.Add(value);
        }
        return message;
    }

    public IEnumerable<ProtobufMessage> Messages(int field) => Bytes(field).Select(Parse);

    public IEnumerable<byte[]> Bytes(int field) => _fields.TryGetValue(field, out var l) ? l.OfType<byte[]>() : [];

    public string? String(int field) => Bytes(field).Select(b => System.Text.Encoding.UTF8.GetString(b)).FirstOrDefault();

    /// <summary>Reads OTLP <c>KeyValue</c> attributes (key = 1, AnyValue = 2) whose values are strings (AnyValue field 1).</summary>
    public Dictionary<string, string?> StringAttributes(int field) =>
        Messages(field).ToDictionary(kv => kv.String(1)!, kv => kv.Messages(2).FirstOrDefault()?.String(1));
}
