using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CommCare.Emulator;

/// <summary>Command line: see README.md.</summary>
public sealed class Options
{
    public string? PortFile;
    public int Port;
    /// <summary>Print LISTENING only after every record's JSON is pre-serialised (big sets do that in the background).</summary>
    public bool WaitJson;
    public DataSetSpec Spec = new();

    public static Options Parse(string[] args)
    {
        var o = new Options();
        int cases = DataSetSpec.DefaultCases, forms = DataSetSpec.DefaultForms, sameForms = 0, sameCases = 0, survey = 0, sameSurvey = 0;
        long seed = 1;
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            string Value()
            {
                if (i + 1 >= args.Length) throw new ArgumentException($"missing value for {a}");
                return args[++i];
            }
            int IntValue() => int.Parse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture);
            switch (a)
            {
                case "--port-file": o.PortFile = Value(); break;
                case "--port": o.Port = IntValue(); break;
                case "--cases": cases = IntValue(); break;
                case "--forms": forms = IntValue(); break;
                case "--same-timestamp-forms": sameForms = IntValue(); break;
                case "--same-timestamp-cases": sameCases = IntValue(); break;
                case "--survey-forms": survey = IntValue(); break;
                case "--same-timestamp-survey-forms": sameSurvey = IntValue(); break;
                case "--seed": seed = long.Parse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture); break;
                case "--wait-json": o.WaitJson = true; break;
                case "-h":
                case "--help":
                    Console.WriteLine("CommCare.Emulator [--port-file PATH] [--port N] [--cases N] [--forms N] " +
                                      "[--same-timestamp-forms N] [--same-timestamp-cases N] [--survey-forms N] " +
                                      "[--same-timestamp-survey-forms N] [--seed N] [--wait-json]");
                    Environment.Exit(0);
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{a}'");
            }
        }
        if (cases < 0 || forms < 0 || sameForms < 0 || sameCases < 0 || survey < 0 || sameSurvey < 0) throw new ArgumentException("sizes must be >= 0");
        o.PortFile ??= Environment.GetEnvironmentVariable("EMULATOR_PORT_FILE") is { Length: > 0 } pf ? pf : null;
        o.Spec = new DataSetSpec(cases, forms, sameForms, sameCases, seed, survey, sameSurvey);
        return o;
    }
}

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Options opts;
        try
        {
            opts = Options.Parse(args);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            Console.Error.WriteLine("emulator: " + e.Message);
            return 2;
        }

        var boot = Stopwatch.StartNew();
        var trace = Environment.GetEnvironmentVariable("EMU_TRACE") == "1";
        void T(string what)
        {
            if (trace) Console.Error.WriteLine($"  boot {what}: {boot.Elapsed.TotalMilliseconds:F0} ms (since process start {(DateTime.Now - Process.GetCurrentProcess().StartTime).TotalMilliseconds:F0} ms)");
        }
        T("main");
        // No appsettings are used: do not watch the content root (by default the current directory, recursively).
        Environment.SetEnvironmentVariable("DOTNET_hostBuilder__reloadConfigOnChange", "false");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = Array.Empty<string>(),
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{opts.Port}");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MinResponseDataRate = null;
            // Let a multi-MB page go into the response pipe at once instead of waiting for the client every 64 KB.
            k.Limits.MaxResponseBufferSize = 64L << 20;
            // Submissions may carry several 15 MB attachments (and over-size ones must reach the 413 checks).
            k.Limits.MaxRequestBodySize = 512L << 20;
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(2));

        var app = builder.Build();
        T("built");
        var st = new EmulatorState(opts.Spec);

        // Request log for everything except the control plane.
        app.Use(async (ctx, next) =>
        {
            if (ctx.Request.Path.StartsWithSegments("/_emulator"))
            {
                await next(ctx);
                return;
            }
            var start = Stopwatch.GetTimestamp();
            var info = Pipeline.Info(ctx);
            try
            {
                await next(ctx);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Console.Error.WriteLine($"emulator: unhandled error: {ex}");
                if (!ctx.Response.HasStarted)
                {
                    ctx.Response.Clear();
                    await Pipeline.WriteAsync(ctx, ApiResponse.ServerError());
                }
                else
                {
                    ctx.Abort();
                }
            }
            catch (OperationCanceledException)
            {
                // client went away
            }
            var (path, query) = Pipeline.RawTarget(ctx);
            st.Log.Add(new LogEntry(ctx.Request.Method, path, query, info.Status ?? ctx.Response.StatusCode,
                info.Auth, info.Fault, info.User, Pipeline.Ms(start), info.HandlerMs, info.Target, info.Body), info.Throttled);
        });

        Control.Map(app, st);
        IdentityApi.Map(app, st);
        CasesApi.Map(app, st);
        FormsApi.Map(app, st);
        UsersApi.Map(app, st);
        GroupsApi.Map(app, st);
        LocationsApi.Map(app, st);
        WebUsersApi.Map(app, st);
        CasesV2Api.Map(app, st);
        ReceiverApi.Map(app, st);
        AttachmentsApi.Map(app, st);
        ImporterApi.Map(app, st);
        ReportsApi.Map(app, st);
        LookupTablesApi.Map(app, st);
        LookupUpload.Map(app, st);
        ApplicationsApi.Map(app, st);
        ODataApi.Map(app, st);
        MessagingApi.Map(app, st);
        SsoApi.Map(app, st);
        RestoreApi.Map(app, st);
        SmsRegistrationApi.Map(app, st);
        ForwardingApi.Map(app, st);
        ExportsApi.Map(app, st);
        AuditApi.Map(app, st);
        ExtrasControl.Map(app, st);
        app.MapFallback("{**path}", (RequestDelegate)Pipeline.NotFound);

        T("mapped");
        await app.StartAsync();
        T("started");
        var server = app.Services.GetRequiredService<IServer>();
        var address = server.Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        st.BaseUrl = address;

        var sw = Stopwatch.StartNew();
        var ds = st.Regenerate(opts.Spec);
        if (opts.WaitJson) await ds.JsonReady;
        var genMs = sw.Elapsed.TotalMilliseconds;
        if (!ds.JsonReady.IsCompleted)
        {
            _ = ds.JsonReady.ContinueWith(t => Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"emulator: JSON of all records pre-serialised {ds.JsonReadyMs:F0} ms after generation started")), TaskScheduler.Default);
        }
        T("generated");

        if (opts.PortFile is not null)
        {
            var full = Path.GetFullPath(opts.PortFile);
            var dir = Path.GetDirectoryName(full);
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
            var tmp = full + "." + Environment.ProcessId + ".tmp";
            await File.WriteAllTextAsync(tmp, address);
            File.Move(tmp, full, overwrite: true);
        }
        Console.Out.WriteLine("LISTENING " + address);
        Console.Out.Flush();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"emulator: data set cases={opts.Spec.Cases} forms={opts.Spec.Forms} sameTimestampForms={opts.Spec.SameTimestampForms} sameTimestampCases={opts.Spec.SameTimestampCases} surveyForms={opts.Spec.SurveyForms} seed={opts.Spec.Seed} generated in {genMs:F0} ms"));

        await app.WaitForShutdownAsync();
        return 0;
    }
}
