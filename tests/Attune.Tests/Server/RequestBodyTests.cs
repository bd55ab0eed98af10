using System.Buffers;
using System.Text;
using Attune.Server.Apis;
using Microsoft.AspNetCore.Http;

namespace Attune.Tests.Server;

/// <summary>The parsed request body stays intact while a handler uses it, whatever else rents pooled buffers meanwhile.</summary>
public sealed class RequestBodyTests
{
    [Fact]
    public async Task TheBodysBytesAreNotReturnedToThePoolWhileTheDocumentLives()
    {
        // JsonDocument reads its input in place: returning the request's pooled buffer before the document is disposed let
        // the next rent of that size (often the same array, from the thread's cache) overwrite a request being handled.
        string json = """{"context": {"price": 12.5, "device": "mobile"}, "userId": "u-1"}""";
        var bytes = Encoding.UTF8.GetBytes(json);
        var context = new DefaultHttpContext();
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = bytes.Length;
        context.Request.Body = new MemoryStream(bytes);

        var (body, problem) = await RequestBody.ReadRecordsAsync(context, 1 << 20, allowBatch: false);
        Assert.Null(problem);
        using (body)
        {
            for (int i = 0; i < 4; i++) ArrayPool<byte>.Shared.Rent(bytes.Length).AsSpan().Fill(0); // rented and scribbled, never returned
            var record = body!.Records[0];
            Assert.Equal(12.5, record.GetProperty("context").GetProperty("price").GetDouble());
            Assert.Equal("mobile", record.GetProperty("context").GetProperty("device").GetString());
            Assert.Equal("u-1", record.GetProperty("userId").GetString());
        }
    }
}
