using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using KvmPS.Networking;
using KvmPS.Transport;
using Xunit;
using static KvmPS.Tests.Networking.BridgeFixtures;

namespace KvmPS.Tests.Networking;

/// <summary>What decides whether a bridge change is kept: the checks' targets and results, the facts after it, and the change's state.</summary>
public sealed class BridgeChecksTests
{
    private static List<ReachabilityCheck> Checks(string text) => BridgeChecks.Parse(text);

    // The host after New-KvmBridge: eth0 in br0, br0 with eth0's address and the default route.
    private static NetworkFacts Bridged(Action<NetworkFacts>? change = null) => Host(facts =>
    {
        NetworkLink eth0 = facts.Link("eth0")!;
        eth0.Addresses.RemoveAll(a => !a.IsLinkLocal);
        eth0.Master = "br0";
        var br0 = new NetworkLink { Name = "br0", Kind = LinkKind.Bridge, MacAddress = Mac, IsUp = true };
        br0.Addresses.Add(new LinkAddress("192.0.2.10", 24, false, false));
        facts.Links.Add(br0);
        facts.DefaultRoutes.Clear();
        facts.DefaultRoutes.Add(new DefaultRoute("192.0.2.1", "br0", false, 0));
        change?.Invoke(facts);
    });

    [Fact]
    public void TheTargetsAreTheGatewayAndDnsServersTheHostUsesAfterTheChange()
    {
        Assert.Equal(new[] { ("gateway", "192.0.2.1"), ("dns", "192.0.2.53") }, BridgeChecks.Targets(Plan(Request(), Host()), Host()));

        BridgePlan explicitPlan = Plan(Request(r =>
        {
            r.AddressSource = BridgeAddressSource.Static;
            r.Addresses.Add("192.0.2.20/24");
            r.Gateway = "192.0.2.254";
            r.DnsServers.AddRange(new[] { "192.0.2.5", "192.0.2.5", "2001:db8::53" });
        }), Host());
        Assert.Equal(new[] { ("gateway", "192.0.2.254"), ("dns", "192.0.2.5"), ("dns", "2001:db8::53") }, BridgeChecks.Targets(explicitPlan, Host()));
    }

    [Fact]
    public void OnlyWhatAnsweredBeforeMustAnswerAfter()
    {
        List<ReachabilityCheck> before = Checks("gateway 192.0.2.1 ok\ndns 192.0.2.53 fail\ndns 192.0.2.54 ok\n");

        Assert.Empty(BridgeChecks.Regressions(before, Checks("gateway 192.0.2.1 ok\ndns 192.0.2.53 fail\ndns 192.0.2.54 ok\n")));
        Assert.Equal(
            new[] { "the gateway 192.0.2.1 answered before the change and does not answer after it", "the DNS server 192.0.2.54 answered before the change and could not be checked after it" },
            BridgeChecks.Regressions(before, Checks("gateway 192.0.2.1 fail\ndns 192.0.2.54 untested\n")));
        Assert.Equal(new[] { "the gateway 192.0.2.1 answered before the change and was not checked after it", "the DNS server 192.0.2.54 answered before the change and was not checked after it" },
            BridgeChecks.Regressions(before, Checks("")));
    }

    [Fact]
    public void ParsingKeepsOnlyWellFormedLines()
        => Assert.Equal(new[] { "gateway 192.0.2.1 ok", "dns ::1 untested" },
            Checks("noise\ngateway 192.0.2.1 ok\ngateway 192.0.2.2 maybe\ndns ::1 untested\ndns\n").Select(c => $"{c.Kind} {c.Address} {c.Result}"));

    [Fact]
    public void ANewBridgeAsPlannedHasNoProblems()
        => Assert.Empty(BridgeChecks.Problems(Plan(Request(), Host()), Bridged()));

    [Fact]
    public void EachWayANewBridgeCanBeWrongIsNamed()
    {
        BridgePlan plan = Plan(Request(), Host());

        Assert.Equal(new[] { "there is no bridge br0" }, BridgeChecks.Problems(plan, Host()));
        Assert.Equal(new[] { "eth0 is not a port of br0", "br0 is not up", "br0 does not have the address 192.0.2.10/24", "the default route via 192.0.2.1 is not on br0" },
            BridgeChecks.Problems(plan, Bridged(f =>
            {
                f.Link("eth0")!.Master = "";
                f.Link("br0")!.IsUp = false;
                f.Link("br0")!.Addresses.Clear();
                f.DefaultRoutes.Clear();
            })));
        Assert.Equal(new[] { "the NIC eth0 is gone" }, BridgeChecks.Problems(plan, Bridged(f => f.Links.RemoveAll(l => l.Name == "eth0"))));
    }

    [Fact]
    public void ADhcpBridgeNeedsAnIpv4Address()
    {
        NetworkFacts nm = Host(f => WithNetworkManager(f, "auto"));
        BridgePlan plan = Plan(Request(), nm);

        Assert.Equal(new[] { "br0 got no IPv4 address by DHCP" }, BridgeChecks.Problems(plan, Bridged(f => f.Link("br0")!.Addresses.Clear())));
        Assert.Empty(BridgeChecks.Problems(plan, Bridged()));
    }

    [Fact]
    public void ARemovalIsDoneWhenTheBridgeIsGoneAndTheNicHasTheAddressing()
    {
        BridgePlan removal = BridgeRemovalPlanner.Plan("br0", false, TimeSpan.FromSeconds(60), Bridged(), "kvm1");

        Assert.Empty(BridgeChecks.Problems(removal, Host()));
        Assert.Equal(new[] { "the bridge br0 still exists", "eth0 is still a port of br0", "eth0 does not have the address 192.0.2.10/24", "the default route via 192.0.2.1 is not on eth0" },
            BridgeChecks.Problems(removal, Bridged()));
    }

    [Fact]
    public void ARestoredHostIsComparedWithTheFactsFromBefore()
    {
        BridgePlan plan = Plan(Request(), Host());

        Assert.Empty(BridgeChecks.RestoreProblems(plan, Host(), Host()));
        Assert.Equal(new[] { "br0 still exists", "eth0's master is br0, not none as before", "eth0 does not have its address 192.0.2.10/24 back", "the default route via 192.0.2.1 on eth0 is not back" },
            BridgeChecks.RestoreProblems(plan, Host(), Bridged()));
    }

    [Theory]
    [InlineData("apply running\nrestore none\narmed yes\n", null, null, false, true, false)]
    [InlineData("apply 0\nrestore none\narmed yes\n", 0, null, false, true, false)]
    [InlineData("apply 124\nrestore running\narmed no\n", 124, null, true, false, false)]
    [InlineData("apply 7\nrestore 0\narmed no\n", 7, 0, false, false, false)]
    [InlineData("change missing\n", null, null, false, false, true)]
    public void TheChangesStateIsRead(string text, int? apply, int? restore, bool restoring, bool armed, bool missing)
    {
        BridgeChangeState state = BridgeChangeState.Parse(text);

        Assert.Equal((apply, restore, restoring, armed, missing), (state.Apply, state.Restore, state.Restoring, state.Armed, state.Missing));
    }

    /// <summary>
    /// bridge-check.sh for real: a ping to this machine, and DNS queries to a UDP server on
    /// 127.0.0.77:53 that answers with the query's id (port 53 needs root, as CI runs) and to an
    /// address where nothing listens.
    /// </summary>
    [SkippableFact]
    public void TheCheckScriptPingsAndQueriesForReal()
    {
        Skip.IfNot(Environment.UserName == "root", "binding port 53 needs root");
        using var server = new UdpClient(new IPEndPoint(IPAddress.Parse("127.0.0.77"), 53));
        using var stop = new CancellationTokenSource();
        var queries = new List<byte[]>();
        Task answering = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                UdpReceiveResult query = await server.ReceiveAsync(stop.Token);
                lock (queries)
                {
                    queries.Add(query.Buffer);
                }

                byte[] reply = (byte[])query.Buffer.Clone();
                reply[2] |= 0x80;
                await server.SendAsync(reply, query.RemoteEndPoint, stop.Token);
            }
        });
        using var shell = new HostShell(_ => new LocalChannelFactory(), ShellElevation.None, null, 1, TimeSpan.FromSeconds(10));

        CommandResult result = shell.Run(BridgeChecks.Command(new[] { ("gateway", "127.0.0.1"), ("dns", "127.0.0.77"), ("dns", "127.0.0.78") }),
            new RunOptions { Timeout = TimeSpan.FromSeconds(30) }, CancellationToken.None)[0];
        stop.Cancel();

        Assert.Equal("gateway 127.0.0.1 ok\ndns 127.0.0.77 ok\ndns 127.0.0.78 fail\n", result.StdoutText);
        lock (queries)
        {
            // A standard query for the root's NS records, id "KS", recursion desired.
            Assert.Equal(new byte[] { 0x4b, 0x53, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00, 0x01 }, queries[0]);
        }
    }
}
