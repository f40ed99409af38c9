using System.Management.Automation;
using KvmPS.Sessions;
using Xunit;

namespace KvmPS.Tests.Sessions;

public sealed class PrivilegeFailuresTests
{
    private const string SocketDenied = "'virsh -c qemu:///system net-define /dev/stdin' exited with status 1: error: failed to connect to the hypervisor\n"
        + "error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': Permission denied";

    private static KvmException Failure(string message, ErrorCategory category = ErrorCategory.InvalidResult)
        => new("NetworkNotCreated", category, message, "Check libvirt.");

    private static KvmSession Session(string user, bool elevated) => new() { ComputerName = "kvm1", UserName = user, IsElevated = elevated };

    [Theory]
    [InlineData(SocketDenied)]
    [InlineData("error: authentication unavailable: no polkit agent available to authenticate action 'org.libvirt.unix.manage'")]
    [InlineData("error: authentication failed: access denied by policy")]
    public void LibvirtRefusalNamesTheUserAndTheGroup(string detail)
    {
        KvmException? e = PrivilegeFailures.Classify(Failure(detail), Session("kvmnone", false));

        Assert.NotNull(e);
        Assert.Equal("LibvirtAccessDenied", e!.ErrorId);
        Assert.Equal(ErrorCategory.PermissionDenied, e.Category);
        Assert.StartsWith("kvmnone may not use libvirt (qemu:///system) on kvm1", e.Message, System.StringComparison.Ordinal);
        Assert.Contains(detail, e.Message, System.StringComparison.Ordinal);
        Assert.Contains("usermod -aG libvirt kvmnone", e.RecommendedAction, System.StringComparison.Ordinal);
        Assert.Contains("-SudoCredential", e.RecommendedAction, System.StringComparison.Ordinal);
    }

    [Fact]
    public void FindsTheSessionBehindAGuest()
    {
        var guest = new KvmGuest { Name = "web1", ComputerName = "kvm1", Session = Session("kvmlimited", false) };

        Assert.StartsWith("kvmlimited may not", PrivilegeFailures.Classify(Failure(SocketDenied), guest)!.Message, System.StringComparison.Ordinal);
        Assert.StartsWith("The session's user may not", PrivilegeFailures.Classify(Failure(SocketDenied), 42)!.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void AHostRefusingANonRootUserSaysRootIsNeeded()
    {
        KvmException? e = PrivilegeFailures.Classify(Failure("mkdir: cannot create directory '/etc/x': Permission denied"), Session("kvmlimited", false));

        Assert.Equal("RootRequired", e!.ErrorId);
        Assert.Equal(ErrorCategory.PermissionDenied, e.Category);
        Assert.Contains("kvmlimited on kvm1 is not root and has no sudo", e.Message, System.StringComparison.Ordinal);
    }

    [Fact]
    public void LeavesOtherFailuresAlone()
    {
        // Root refused by a file is not a missing privilege; nor is an unrelated failure; nor one already classified.
        Assert.Null(PrivilegeFailures.Classify(Failure("Permission denied"), Session("root", true)));
        Assert.Null(PrivilegeFailures.Classify(Failure("error: network 'x' already exists"), Session("kvmlimited", false)));
        Assert.Null(PrivilegeFailures.Classify(Failure(SocketDenied, ErrorCategory.PermissionDenied), Session("kvmnone", false)));
        Assert.False(PrivilegeFailures.IsLibvirtRefusal("error: Failed to connect socket to '/var/run/libvirt/libvirt-sock': No such file or directory"));
    }
}
