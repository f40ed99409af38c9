using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Text;
using KvmPS.Facts;
using KvmPS.Guests;
using KvmPS.Sessions;
using KvmPS.Transport;

namespace KvmPS.Commands;

/// <summary>New-KvmGuest's work: requests, plans per host (one round trip), ShouldProcess, creation.</summary>
public sealed partial class NewKvmGuestCommand
{
    private static readonly TimeSpan StepsTimeout = TimeSpan.FromMinutes(30);

    protected override void EndProcessing()
    {
        IReadOnlyList<object> defaultHosts = Targets.Distinct(MyInvocation.ExpectingInput);

        // A guest bound for no host (an empty pipeline of hosts) is neither created nor checked.
        List<GuestRequest> requests = (ParameterSetName == "Spec" ? ReadSpec() : new List<GuestRequest> { FromParameters() })
            .Where(r => r.ComputerName is not null || defaultHosts.Count > 0).Where(InputAccepted).ToList();
        var work = new List<(object Host, List<GuestRequest> Requests)>();
        foreach (GuestRequest request in requests)
        {
            IEnumerable<object> hosts = request.ComputerName is not null ? new object[] { request.ComputerName } : defaultHosts;
            foreach (object host in hosts)
            {
                var entry = work.FirstOrDefault(w => HostTargets.Key(w.Host) == HostTargets.Key(host));
                if (entry.Requests is null)
                {
                    entry = (host, new List<GuestRequest>());
                    work.Add(entry);
                }

                entry.Requests.Add(request);
            }
        }

        var planned = new ConcurrentQueue<(int Order, KvmSession Session, GuestRequest Request, GuestPlan Plan)>();
        RunParallel(work.Select((w, i) => (w, i)).ToList(), ThrottleLimit, "Planning new guests", x => HostTargets.Describe(x.w.Host), (x, context) =>
        {
            KvmSession session = HostTargets.Resolve(x.w.Host, context);
            foreach ((GuestRequest request, GuestPlan plan) in PlanHost(session, x.w.Requests, context))
            {
                planned.Enqueue((x.i, session, request, plan));
            }
        }, x => HostTargets.Describe(x.w.Host));

        var approved = new List<(KvmSession Session, GuestRequest Request, GuestPlan Plan)>();
        foreach (var (_, session, request, plan) in planned.OrderBy(p => p.Order))
        {
            foreach (string warning in plan.Warnings)
            {
                WriteWarning($"{request.Name} on {session.ComputerName}: {warning}");
            }

            if (ShouldProcess($"{request.Name} on {session.ComputerName}", "Create the guest:\n" + plan.Describe()))
            {
                approved.Add((session, request, plan));
            }
        }

        RunParallel(approved, ThrottleLimit, "Creating guests", a => $"{a.Request.Name} on {a.Session.ComputerName}",
            (a, context) => Create(a.Session, a.Request, a.Plan, context), a => a.Request.Name);
    }

    // What needs no host is checked before any host is contacted: a bad value is refused as what it is
    // (not as a failed host command), once rather than once per host, and never reaches a host.
    private bool InputAccepted(GuestRequest request)
    {
        try
        {
            GuestPlanner.ValidateInput(request);
            return true;
        }
        catch (KvmException e) when (request.Origin != "parameters")
        {
            WriteFailure(new KvmException(e.ErrorId, e.Category, $"{request.Name} ({request.Origin}): {e.Message}", e.RecommendedAction, e), request.Name);
        }
        catch (Exception e) when (e is KvmException || e is ArgumentException)
        {
            WriteFailure(e, request.Name);
        }

        return false;
    }

    // One round trip for the host's facts, its guests and what the requests need to know.
    private IEnumerable<(GuestRequest, GuestPlan)> PlanHost(KvmSession session, List<GuestRequest> requests, WorkContext context)
    {
        Action<string> log = context.VerboseFor(session.ComputerName);
        var paths = new List<string>();
        var volumes = new List<(string, string)>();
        foreach (GuestRequest request in requests)
        {
            (List<string> p, List<(string, string)> v) = GuestPlanner.Lookups(request);
            paths.AddRange(p.Where(path => path.StartsWith("/", StringComparison.Ordinal)));
            volumes.AddRange(v);
        }

        IEnumerable<string> pools = requests.Select(GuestPlanner.PoolOf);
        IEnumerable<string> variants = requests.Where(r => r.OSVariant is not null).Select(r => r.OSVariant!);
        BatchResult result = session.Connection!.Shell.Run(
            new[] { GuestScripts.Inventory(), HostGuestContext.Command(pools, paths, volumes, variants) },
            GuestScripts.InventoryOptions, context.Cancel, log);
        if (!result.Succeeded)
        {
            CommandResult failed = result.Results.First(r => !r.Succeeded);
            throw new KvmException("GuestPlanFailed", ErrorCategory.ResourceUnavailable, $"Could not read what {session.ComputerName} offers new guests: {failed.Describe()}",
                "Check that libvirt runs on the host (Test-KvmCapability) and that the session may use it.");
        }

        List<KvmGuest> existing = GuestInventoryParser.Parse(session.ComputerName, result[0].StdoutText, session);
        HostGuestContext host = HostGuestContext.Parse(result[1].StdoutText);
        HostFacts facts = session.Connection.GetFacts(session, refresh: false, context.Cancel, log);
        var plans = new List<(GuestRequest, GuestPlan)>();
        foreach (GuestRequest request in requests)
        {
            try
            {
                plans.Add((request, GuestPlanner.Plan(request, facts, host, existing, session.ComputerName, SeedFiles(request), TimeSpan.FromSeconds(Timeout))));
            }
            catch (KvmException e) when (request.Origin != "parameters")
            {
                // From a spec: say which guest, and where it is in the file.
                context.Error(new KvmException(e.ErrorId, e.Category, $"{request.Name} ({request.Origin}): {e.Message}", e.RecommendedAction, e), request.Name);
            }
            catch (Exception e) when (e is KvmException || e is ArgumentException)
            {
                context.Error(e, request.Name);
            }
        }

        return plans;
    }

    private void Create(KvmSession session, GuestRequest request, GuestPlan plan, WorkContext context)
    {
        var commands = new List<RemoteCommand>();
        var stepOf = new List<int>();
        for (int s = 0; s < plan.Steps.Count; s++)
        {
            commands.AddRange(plan.Steps[s].Commands);
            stepOf.AddRange(plan.Steps[s].Commands.Select(_ => s));
        }

        int created = commands.Count;
        if (plan.Wait is not null)
        {
            commands.Add(plan.Wait);
        }

        if (PassThru.IsPresent)
        {
            commands.Add(GuestScripts.Inventory(new[] { plan.Design.Uuid }));
        }

        Action<string> log = context.VerboseFor(session.ComputerName);
        int activity = ("new-guest " + session.ComputerName + request.Name).Aggregate(17, (h, c) => unchecked(h * 31 + c)) & 0x7fffffff;
        var options = new RunOptions
        {
            StopOnError = true,
            Timeout = StepsTimeout + TimeSpan.FromSeconds(Timeout),
            Progress = (index, finished) =>
            {
                if (finished is null)
                {
                    string doing = index < created ? plan.Steps[stepOf[index]].Title : index == created && plan.Wait is not null ? "Waiting" : "Reading the guest";
                    context.Progress(new ProgressRecord(activity, $"Creating {request.Name} on {session.ComputerName}", doing) { PercentComplete = index * 100 / commands.Count });
                }
            },
        };
        BatchResult result = session.Connection!.Shell.Run(commands, options, context.Cancel, log);
        context.Progress(new ProgressRecord(activity, $"Creating {request.Name} on {session.ComputerName}", "Done") { RecordType = ProgressRecordType.Completed });
        int failedAt = Enumerable.Range(0, created).Where(i => !result[i].Succeeded).DefaultIfEmpty(-1).First();
        if (failedAt >= 0)
        {
            throw Undo(session, request, plan, stepOf[failedAt], result[failedAt], context);
        }

        if (plan.Wait is not null)
        {
            var waited = GuestScripts.ReadWait(result[created].StdoutText);
            if (!waited.TryGetValue(plan.Design.Uuid, out var outcome) || !outcome.Reached)
            {
                context.Error(new KvmException("WaitTimedOut", ErrorCategory.OperationTimeout,
                    $"{request.Name} was created on {session.ComputerName}, but did not {(request.WaitForIPAddress ? "get an IP address" : "start")} within {Timeout} s.",
                    request.WaitForIPAddress ? "Check the guest's console (virsh console) and its network's DHCP; the guest is kept." : "Check the guest with Get-KvmGuest; it is kept."), request.Name);
            }
        }

        if (PassThru.IsPresent && result[commands.Count - 1].Succeeded)
        {
            context.OutputAll(GuestInventoryParser.Parse(session.ComputerName, result[commands.Count - 1].StdoutText, session));
        }
    }

    // A step failed: take back, in reverse, what the earlier steps made, and say so.
    private KvmException Undo(KvmSession session, GuestRequest request, GuestPlan plan, int failedStep, CommandResult failure, WorkContext context)
    {
        // The failed step may have done part of its work: its undo runs too, but only as a best
        // effort (a volume that was never made cannot be deleted); the completed steps' undo must work.
        List<RemoteCommand> partial = plan.Steps[failedStep].Undo.ToList();
        List<RemoteCommand> completed = plan.Steps.Take(failedStep).Reverse().SelectMany(s => s.Undo).ToList();
        string cleanup = "Nothing had been made yet.";
        if (partial.Count + completed.Count > 0)
        {
            BatchResult undone = session.Connection!.Shell.Run(partial.Concat(completed).ToList(), new RunOptions { Timeout = TimeSpan.FromMinutes(2) }, context.Cancel, context.VerboseFor(session.ComputerName));
            List<CommandResult> failures = undone.Results.Skip(partial.Count).Where(r => !r.Succeeded).ToList();
            cleanup = completed.Count == 0 ? "Nothing else had been made."
                : failures.Count == 0 ? "Everything this call had made was removed."
                : "Removing what this call had made partly failed: " + string.Join("; ", failures.Select(r => r.Describe()));
        }

        return new KvmException("GuestCreationFailed", ErrorCategory.InvalidResult,
            $"Creating {request.Name} on {session.ComputerName} failed at '{plan.Steps[failedStep].Title}': {failure.Describe()} {cleanup}",
            "Fix the cause named above and run New-KvmGuest again.");
    }

    private GuestRequest FromParameters()
    {
        var request = new GuestRequest
        {
            Name = Name,
            MemoryBytes = MemoryBytes,
            ProcessorCount = ProcessorCount,
            CpuMode = CpuMode,
            DiskSizeBytes = DiskSizeBytes > 0 ? DiskSizeBytes : null,
            BaseImage = BaseImage,
            FullClone = FullClone.IsPresent,
            ImportDisk = ImportDisk,
            IsoPath = IsoPath,
            DataDiskSizeBytes = DataDiskSizeBytes?.ToList() ?? new List<long>(),
            StoragePool = StoragePool,
            Network = Network?.ToList() ?? new List<string>(),
            Bridge = Bridge?.ToList() ?? new List<string>(),
            MacAddress = MacAddress?.ToList() ?? new List<string>(),
            Firmware = Firmware,
            SecureBoot = SecureBoot.IsPresent,
            Tpm = Tpm.IsPresent,
            OSVariant = OSVariant,
            Graphics = Graphics,
            KernelPath = KernelPath,
            InitrdPath = InitrdPath,
            KernelArguments = KernelArguments,
            Start = Start.IsPresent,
            Wait = Wait.IsPresent,
            WaitForIPAddress = WaitForIPAddress.IsPresent,
            Autostart = Autostart.IsPresent,
        };
        if (CloudInitUser is not null || SshPublicKey is not null || Password is not null || UserData is not null || NetworkConfig is not null)
        {
            if (UserData is not null && (CloudInitUser is not null || Password is not null || SshPublicKey is not null))
            {
                ThrowTerminatingError(new KvmException("ConflictingCloudInit", ErrorCategory.InvalidArgument,
                    "-UserData is used as is; it cannot be combined with -CloudInitUser, -SshPublicKey or -Password (they would be ignored).",
                    "Put the user and keys into your user-data file, or drop -UserData.").ToErrorRecord(null));
            }

            byte[]? password = ConnectRequest.SecretBytes(Password);
            request.CloudInit = new CloudInitRequest
            {
                User = CloudInitUser,
                SshPublicKeys = SshPublicKey?.ToList() ?? new List<string>(),
                PasswordHash = password is null ? null : PasswordHash.Sha512Crypt(password),
                UserData = UserData is null ? null : ReadLocalFile(UserData, "UserData"),
                NetworkConfig = NetworkConfig is null ? null : ReadLocalFile(NetworkConfig, "NetworkConfig"),
            };
            if (password is not null)
            {
                Array.Clear(password, 0, password.Length);
            }
        }

        return request;
    }

    private string ReadLocalFile(string path, string parameter)
    {
        string full = GetUnresolvedProviderPathFromPSPath(path);
        try
        {
            return File.ReadAllText(full);
        }
        catch (Exception e) when (e is ArgumentException || e is NotSupportedException)
        {
            ThrowTerminatingError(InvalidPath(path, "-" + parameter, e));
            throw;
        }
        catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
        {
            ThrowTerminatingError(new KvmException("FileUnreadable", ErrorCategory.ReadError, $"-{parameter}: cannot read {full}: {e.Message}",
                "Give a file on this machine (it is uploaded into the guest's cloud-init seed).", e).ToErrorRecord(full));
            throw;
        }
    }

    private List<GuestRequest> ReadSpec()
    {
        string path = GetUnresolvedProviderPathFromPSPath(Spec);
        try
        {
            return IsolatedDependencies.Yaml.ReadGuestSpecs(File.ReadAllText(path), path, Path.GetDirectoryName(path) ?? ".").ToList();
        }
        catch (GuestSpecException e)
        {
            ThrowTerminatingError(new KvmException("GuestSpecInvalid", ErrorCategory.ParserError, e.Message,
                "Correct the spec file at that line and column (keys are New-KvmGuest's parameter names).", e).ToErrorRecord(path));
            throw;
        }
        catch (IOException e)
        {
            ThrowTerminatingError(new KvmException("GuestSpecUnreadable", ErrorCategory.ReadError, $"Cannot read {path}: {e.Message}", "Check the path.", e).ToErrorRecord(path));
            throw;
        }
        catch (Exception e) when (e is ArgumentException || e is NotSupportedException)
        {
            ThrowTerminatingError(InvalidPath(Spec, "-Spec", e));
            throw;
        }
    }

    // A local path .NET cannot even look up (a NUL in it): refused as the bad value it is, shown escaped.
    private static ErrorRecord InvalidPath(string path, string parameter, Exception e)
        => new KvmException("InvalidPath", ErrorCategory.InvalidArgument,
            $"{parameter} '{path.Replace("\0", "\\0").Replace("\n", "\\n")}' is not a valid path on this machine: {e.Message}",
            "Give the path of a file on this machine.", e).ToErrorRecord(path);

    // The NoCloud seed's files: generated user-data (unless given), meta-data, and network-config.
    private static IReadOnlyDictionary<string, byte[]>? SeedFiles(GuestRequest request)
    {
        CloudInitRequest? cloud = request.CloudInit;
        if (cloud is null)
        {
            return null;
        }

        string userData = cloud.UserData ?? IsolatedDependencies.Yaml.CloudConfig(request.Name, cloud);
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal)
        {
            ["user-data"] = Encoding.UTF8.GetBytes(userData),
            // Quoted: a guest may be called "yes" or "null", which YAML would read as something else.
            ["meta-data"] = Encoding.UTF8.GetBytes($"instance-id: \"{request.Name}-{Guid.NewGuid():N}\"\nlocal-hostname: \"{request.Name}\"\n"),
        };
        if (cloud.NetworkConfig is not null)
        {
            files["network-config"] = Encoding.UTF8.GetBytes(cloud.NetworkConfig);
        }

        return files;
    }
}
