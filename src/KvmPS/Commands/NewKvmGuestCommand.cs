using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Security;
using System.Text;
using KvmPS.Guests;
using KvmPS.Transport;
using KvmPS.Completion;

namespace KvmPS.Commands;

/// <summary>Creates guests: disks in a storage pool, network adapters, firmware, cloud-init, and the domain.</summary>
[Cmdlet(VerbsCommon.New, "KvmGuest", DefaultParameterSetName = "Name", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(KvmGuest))]
public sealed partial class NewKvmGuestCommand : KvmChangeCmdlet
{

    /// <summary>The guest's name: letters, digits, '.', '_' and '-'.</summary>
    [Parameter(ParameterSetName = "Name", Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>A YAML file describing one or many guests with the same settings as the parameters.</summary>
    [Parameter(ParameterSetName = "Spec", Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Spec { get; set; } = "";

    /// <summary>Memory, e.g. 2GB (default 1GB).</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateRange(16777216, long.MaxValue)]
    public long MemoryBytes { get; set; } = GuestPlanner.DefaultMemory;

    /// <summary>Virtual CPUs (default 1).</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateRange(1, 512)]
    public int ProcessorCount { get; set; } = 1;

    /// <summary>host-model (default), host-passthrough, maximum, or a named CPU model such as Skylake-Server.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    [ValidatePattern("^[A-Za-z0-9._-]+$")]
    public string CpuMode { get; set; } = "host-model";

    /// <summary>A new empty qcow2 disk of this size, e.g. 20GB (with -BaseImage: at least this size).</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateRange(1048576, long.MaxValue)]
    public long DiskSizeBytes { get; set; }

    /// <summary>A host image to thin-clone (a qcow2 overlay backed by it).</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string? BaseImage { get; set; }

    /// <summary>Copy -BaseImage instead of thin-cloning it.</summary>
    [Parameter(ParameterSetName = "Name")]
    public SwitchParameter FullClone { get; set; }

    /// <summary>Boot an existing disk image on the host, as it is.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string? ImportDisk { get; set; }

    /// <summary>An installation ISO on the host, attached as a CD-ROM and booted first.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string? IsoPath { get; set; }

    /// <summary>Extra empty data disks, e.g. 50GB, 100GB.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateRange(1048576, long.MaxValue)]
    public long[]? DataDiskSizeBytes { get; set; }

    /// <summary>The libvirt storage pool for new disks (default: default, created when missing).</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidatePattern("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    public string? StoragePool { get; set; }

    /// <summary>Adapters on libvirt networks, e.g. default.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NetworkNameCompleter))]
    public string[]? Network { get; set; }

    /// <summary>Adapters on Linux bridges, e.g. br0.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(BridgeNameCompleter))]
    public string[]? Bridge { get; set; }

    /// <summary>MAC addresses for the adapters, -Network ones first, then -Bridge ones.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string[]? MacAddress { get; set; }

    /// <summary>Bios (default) or Uefi.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateSet("Bios", "Uefi")]
    public string Firmware { get; set; } = "Bios";

    /// <summary>UEFI Secure Boot with the distribution's keys enrolled.</summary>
    [Parameter(ParameterSetName = "Name")]
    public SwitchParameter SecureBoot { get; set; }

    /// <summary>An emulated TPM 2.0 (swtpm).</summary>
    [Parameter(ParameterSetName = "Name")]
    public SwitchParameter Tpm { get; set; }

    /// <summary>The OS variant as osinfo knows it (osinfo-query os), e.g. rhel9.4; optional.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidatePattern("^[A-Za-z0-9._-]+$")]
    public string? OSVariant { get; set; }

    /// <summary>Vnc (default), Spice or None; listens on 127.0.0.1.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateSet("Vnc", "Spice", "None")]
    public string Graphics { get; set; } = "Vnc";

    /// <summary>Direct kernel boot: a kernel on the host.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string? KernelPath { get; set; }

    /// <summary>Direct kernel boot: its initrd.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string? InitrdPath { get; set; }

    /// <summary>Direct kernel boot: its command line.</summary>
    [Parameter(ParameterSetName = "Name")]
    public string? KernelArguments { get; set; }

    /// <summary>cloud-init: the user to create (with passwordless sudo).</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidatePattern("^[a-z_][a-z0-9_-]{0,31}$")]
    public string? CloudInitUser { get; set; }

    /// <summary>cloud-init: SSH public keys for that user (or the image's default user).</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string[]? SshPublicKey { get; set; }

    /// <summary>cloud-init: the user's password; only its SHA-512 crypt hash reaches the host.</summary>
    [Parameter(ParameterSetName = "Name")]
    public SecureString? Password { get; set; }

    /// <summary>cloud-init: a user-data file on this machine, used as is.</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string? UserData { get; set; }

    /// <summary>cloud-init: a network-config file on this machine (v1 or v2).</summary>
    [Parameter(ParameterSetName = "Name")]
    [ValidateNotNullOrEmpty]
    public string? NetworkConfig { get; set; }

    /// <summary>Start the guest after creating it.</summary>
    [Parameter(ParameterSetName = "Name")]
    public SwitchParameter Start { get; set; }

    /// <summary>Start it and wait until it runs.</summary>
    [Parameter(ParameterSetName = "Name")]
    public SwitchParameter Wait { get; set; }

    /// <summary>Start it and wait until it has an IP address.</summary>
    [Parameter(ParameterSetName = "Name")]
    public SwitchParameter WaitForIPAddress { get; set; }

    /// <summary>Seconds -Wait and -WaitForIPAddress wait (default 300).</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public int Timeout { get; set; } = 300;

    /// <summary>Start the guest when the host starts.</summary>
    [Parameter(ParameterSetName = "Name")]
    public SwitchParameter Autostart { get; set; }

    /// <summary>Return the new guests.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }
}
