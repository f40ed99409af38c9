using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using KvmPS.Guests;
using Xunit;

namespace KvmPS.Tests.Guests;

/// <summary>
/// The in-memory NoCloud seed writer, read back by independent readers: isoinfo (genisoimage),
/// blkid (how cloud-init finds the seed), xorriso (libisofs), a loop mount where this kernel
/// has isofs, and a real Linux kernel in QEMU (how cloud-init reads the seed). Each oracle test
/// is skipped, and says why, where its tool is missing.
/// </summary>
public sealed class NoCloudIsoTests : IDisposable
{
    private static readonly DateTime Stamp = new(2024, 5, 6, 7, 8, 9, 120, DateTimeKind.Utc);
    private readonly string _dir = Directory.CreateTempSubdirectory("kvmps-nocloud-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    // ---- pure ---------------------------------------------------------------------------

    [Fact]
    public void SameInputAndTimestampGiveTheSameBytes()
    {
        byte[] first = NoCloudIso.Build(CloudInit(), Stamp);
        var reversed = new SortedDictionary<string, byte[]>(CloudInit(), Comparer<string>.Create((a, b) => string.CompareOrdinal(b, a)));

        Assert.Equal(first, NoCloudIso.Build(CloudInit(), Stamp));
        Assert.Equal(first, NoCloudIso.Build(reversed, Stamp));
        Assert.NotEqual(first, NoCloudIso.Build(CloudInit(), Stamp.AddSeconds(1)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2047)]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(100_000)]
    public void ImageIsWholeSectorsWithTheDataInIt(int size)
    {
        byte[] iso = NoCloudIso.Build(new Dictionary<string, byte[]> { ["user-data"] = new byte[size], ["meta-data"] = new byte[] { 1 } }, Stamp);

        Assert.Equal(0, iso.Length % 2048);
        Assert.True(iso.Length >= 2048 * 25 + size, $"{iso.Length} bytes cannot hold {size} bytes of data");
        Assert.Equal(iso.Length / 2048, BitConverter.ToInt32(iso, 32768 + 80));
    }

    [Fact]
    public void VolumeDescriptorsAreWhereReadersLookForThem()
    {
        byte[] iso = NoCloudIso.Build(CloudInit(), Stamp);

        Assert.Equal(new byte[] { 1, (byte)'C', (byte)'D', (byte)'0', (byte)'0', (byte)'1', 1 }, iso.Skip(32768).Take(7));
        Assert.Equal("cidata" + new string(' ', 26), Encoding.ASCII.GetString(iso, 32768 + 40, 32));
        Assert.Equal(new byte[] { 2, (byte)'C', (byte)'D', (byte)'0', (byte)'0', (byte)'1', 1 }, iso.Skip(34816).Take(7));
        Assert.Equal(new byte[] { 0x25, 0x2F, 0x45 }, iso.Skip(34816 + 88).Take(3));
        Assert.Equal("cidata" + new string(' ', 10), Encoding.BigEndianUnicode.GetString(iso, 34816 + 40, 32));
        Assert.Equal(new byte[] { 255, (byte)'C', (byte)'D', (byte)'0', (byte)'0', (byte)'1', 1 }, iso.Skip(36864).Take(7));
        Assert.Equal("20240506070809" + "12", Encoding.ASCII.GetString(iso, 32768 + 813, 16));
        Assert.All(iso.Take(32768), b => Assert.Equal(0, b));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("seed/user-data", "'/'")]
    [InlineData("/user-data", "'/'")]
    [InlineData("user\0data", "NUL")]
    [InlineData("user\ndata", "control")]
    [InlineData("user;1", "';'")]
    [InlineData("a\\b", "'\\'")]
    [InlineData(".", "'..'")]
    [InlineData("..", "'..'")]
    [InlineData("user-data.", "end with a dot")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "65 characters")]
    public void BadNamesAreRefused(string name, string reason)
    {
        var files = new Dictionary<string, byte[]> { ["meta-data"] = new byte[1], [name] = new byte[1] };

        ArgumentException e = Assert.Throws<ArgumentException>(() => NoCloudIso.Build(files, Stamp));

        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void UnpairedSurrogatesAreRefused()
    {
        // Not InlineData: xunit's serialisation of theory data would replace the lone surrogate.
        foreach (string name in new[] { "\ud800x", "x\udc00", "x\ud800" })
        {
            Assert.Contains("surrogate", Assert.Throws<ArgumentException>(() => NoCloudIso.Build(new Dictionary<string, byte[]> { [name] = new byte[1] }, Stamp)).Message);
        }

        NoCloudIso.Build(new Dictionary<string, byte[]> { ["\ud83d\ude00"] = new byte[1] }, Stamp);
    }

    [Fact]
    public void SixtyFourCharactersAreTheLongestName()
    {
        byte[] iso = NoCloudIso.Build(new Dictionary<string, byte[]> { [new string('n', 64)] = new byte[1] }, Stamp);

        Assert.Equal(0, iso.Length % 2048);
    }

    [Fact]
    public void NoFilesNullContentsAndDatesOutsideIso9660AreRefused()
    {
        Assert.Throws<ArgumentNullException>(() => NoCloudIso.Build(null!, Stamp));
        Assert.Throws<ArgumentException>(() => NoCloudIso.Build(new Dictionary<string, byte[]>(), Stamp));
        Assert.Contains("null", Assert.Throws<ArgumentException>(() => NoCloudIso.Build(new Dictionary<string, byte[]> { ["user-data"] = null! }, Stamp)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => NoCloudIso.Build(CloudInit(), new DateTime(1899, 12, 31, 0, 0, 0, DateTimeKind.Utc)));
        Assert.Throws<ArgumentOutOfRangeException>(() => NoCloudIso.Build(CloudInit(), new DateTime(2156, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
    }

    // ---- oracles ------------------------------------------------------------------------

    [SkippableFact]
    public void IsoinfoSeesTheCidataVolumeWithJolietAndNoRockRidge()
    {
        string iso = Write("seed.iso", NoCloudIso.Build(CloudInit(), Stamp));

        string info = Tool("isoinfo", "-d", "-i", iso).Stdout;

        Assert.Contains("Volume id: cidata\n", info);
        Assert.Contains("Joliet with UCS level 3 found", info);
        Assert.Contains("NO Rock Ridge present", info);
        Assert.Contains("Logical block size is: 2048", info);
        Assert.Contains($"Volume size is: {new FileInfo(iso).Length / 2048}\n", info);
    }

    [SkippableFact]
    public void IsoinfoListsAndExtractsTheExactJolietFiles()
    {
        foreach (Dictionary<string, byte[]> seed in Seeds())
        {
            string iso = Write("seed.iso", NoCloudIso.Build(seed, Stamp));

            // isoinfo knows no UTF-8: it prints Joliet names in ISO 8859-1 and matches -x names in it,
            // which a .NET argument (always UTF-8) cannot carry; xorriso and the kernel extract those.
            string[] listed = Encoding.Latin1.GetString(Tool("isoinfo", "-J", "-i", iso, "-f").Bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries);

            Assert.Equal(seed.Keys.Select(n => "/" + n).OrderBy(n => n, StringComparer.Ordinal), listed.OrderBy(n => n, StringComparer.Ordinal));
            foreach (KeyValuePair<string, byte[]> file in seed.Where(f => f.Key.All(char.IsAscii)))
            {
                Assert.Equal(file.Value, Tool("isoinfo", "-J", "-i", iso, "-x", "/" + file.Key).Bytes);
            }
        }
    }

    [SkippableFact]
    public void IsoinfoListsUniqueLevelOneNamesInThePrimaryTree()
    {
        var seed = CloudInit();
        seed["user_data"] = new byte[] { 42 };
        string iso = Write("seed.iso", NoCloudIso.Build(seed, Stamp));

        string[] listed = Tool("isoinfo", "-i", iso, "-f").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(new[] { "/META_DAT.;1", "/NETWORK_.;1", "/USER_DA1.;1", "/USER_DAT.;1" }, listed.OrderBy(n => n, StringComparer.Ordinal));
        Assert.Equal(seed["user-data"], Tool("isoinfo", "-i", iso, "-x", "/USER_DAT.;1").Bytes);
        Assert.Equal(seed["user_data"], Tool("isoinfo", "-i", iso, "-x", "/USER_DA1.;1").Bytes);
    }

    [SkippableFact]
    public void BlkidFindsTheSeedByItsLabel()
    {
        string iso = Write("seed.iso", NoCloudIso.Build(CloudInit(), Stamp));

        string[] export = Tool("blkid", "-p", "-o", "export", iso).Stdout.Split('\n');

        Assert.Contains("LABEL=cidata", export);
        Assert.Contains("TYPE=iso9660", export);
        Assert.Equal("cidata\n", Tool("blkid", "-p", "-o", "value", "-s", "LABEL", iso).Stdout);
    }

    [SkippableFact]
    public void XorrisoLoadsTheTreeAndExtractsTheExactFiles()
    {
        foreach (Dictionary<string, byte[]> seed in Seeds())
        {
            string iso = Write("seed.iso", NoCloudIso.Build(seed, Stamp));
            string target = Path.Combine(_dir, "xorriso-" + Guid.NewGuid().ToString("N"));

            var list = Tool("xorriso", "-abort_on", "WARNING", "-indev", iso, "-find", "/", "-type", "f", "-exec", "lsdl");
            Tool("xorriso", "-abort_on", "WARNING", "-osirrox", "on", "-indev", iso, "-extract", "/", target);

            Assert.DoesNotMatch("WARNING|SORRY|FAILURE|FATAL", list.Stderr);
            foreach (KeyValuePair<string, byte[]> file in seed)
            {
                Assert.Contains($" {file.Value.Length} ", list.Stdout.Split('\n').Single(l => l.EndsWith($" '/{file.Key}'", StringComparison.Ordinal)));
            }

            Assert.Equal(seed.Keys.OrderBy(n => n, StringComparer.Ordinal), Directory.GetFiles(target).Select(p => Path.GetFileName(p)).OrderBy(n => n, StringComparer.Ordinal));
            Assert.All(seed, file => Assert.Equal(file.Value, File.ReadAllBytes(Path.Combine(target, file.Key))));
        }
    }

    /// <summary>The kernel's view, which is cloud-init's: only where this machine's kernel can loop-mount ISO 9660.</summary>
    [SkippableFact]
    public void LoopMountShowsTheExactNamesAndContents()
    {
        Skip.If(Environment.UserName != "root", "mounting needs root");
        foreach (Dictionary<string, byte[]> seed in Seeds())
        {
            string iso = Write("seed.iso", NoCloudIso.Build(seed, Stamp));
            string mountPoint = Directory.CreateDirectory(Path.Combine(_dir, "mnt")).FullName;
            var mount = Run("mount", "-t", "iso9660", "-o", "loop,ro", iso, mountPoint);
            Skip.If(mount.Code != 0, "this sandbox cannot loop-mount ISO 9660: " + mount.Stderr.Trim());
            try
            {
                Assert.Equal(seed.Keys.OrderBy(n => n, StringComparer.Ordinal), Directory.GetFileSystemEntries(mountPoint).Select(p => Path.GetFileName(p)).OrderBy(n => n, StringComparer.Ordinal));
                Assert.All(seed, file => Assert.Equal(file.Value, File.ReadAllBytes(Path.Combine(mountPoint, file.Key))));
            }
            finally
            {
                Run("umount", mountPoint);
            }
        }
    }

    /// <summary>
    /// The kernel's view where the sandbox cannot loop-mount: Debian's cloud kernel (the lab's
    /// tiny-guest cache, or apt's) boots in QEMU with a busybox initramfs, mounts each seed from
    /// a virtio disk with its own isofs module, and prints every file's name, size and SHA-256.
    /// </summary>
    [SkippableFact]
    public void LinuxInQemuMountsTheSeedsWithTheExactNamesAndContents()
    {
        string deb = KernelDeb();
        Skip.If(deb.Length == 0, "no Debian linux-image .deb (tests/lab/.state/tiny-guest/cache or /var/cache/apt/archives)");
        foreach (string tool in new[] { "qemu-system-x86_64", "dpkg-deb", "cpio", "tar" })
        {
            Skip.If(Which(tool).Length == 0, tool + " is not installed");
        }

        Skip.If(!File.Exists("/bin/busybox"), "busybox-static is not installed");
        List<Dictionary<string, byte[]>> seeds = Seeds().ToList();
        var qemu = new List<string> { "-machine", "accel=tcg", "-m", "256", "-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot" };
        for (int i = 0; i < seeds.Count; i++)
        {
            qemu.AddRange(new[] { "-drive", $"file={Write($"seed{i}.iso", NoCloudIso.Build(seeds[i], Stamp))},format=raw,if=virtio,readonly=on" });
        }

        var built = Run("bash", "-c", GuestBuild, "bash", deb, _dir);
        Assert.True(built.Code == 0, built.Stderr);
        qemu.AddRange(new[] { "-kernel", Path.Combine(_dir, "vmlinuz"), "-initrd", Path.Combine(_dir, "initrd"), "-append", "console=ttyS0 quiet panic=-1" });
        string console = Run("qemu-system-x86_64", qemu.ToArray()).Text.Replace("\r", "");

        Assert.Contains("kvmps-done", console);
        for (int i = 0; i < seeds.Count; i++)
        {
            string device = "vd" + (char)('a' + i);
            // busybox-static has no blkid: the primary volume id as the guest reads it (the host's blkid has its own test).
            Assert.Contains($"kvmps-label /dev/{device}: cidata" + new string(' ', 26) + "\n", console);
            string[] seen = console.Split('\n').Where(l => l.StartsWith($"kvmps-file {device} ", StringComparison.Ordinal)).OrderBy(l => l, StringComparer.Ordinal).ToArray();
            string[] expected = seeds[i].Select(f => $"kvmps-file {device} {Convert.ToHexString(SHA256.HashData(f.Value)).ToLowerInvariant()} {f.Value.Length} {f.Key}").OrderBy(l => l, StringComparer.Ordinal).ToArray();
            Assert.Equal(expected, seen);
        }
    }

    // Extracts the kernel and the modules isofs needs on a virtio disk, and builds an initramfs
    // whose /init mounts /dev/vd* read-only as iso9660 and describes what the kernel shows.
    private const string GuestBuild = """
        set -eu
        deb=$1; work=$2
        mkdir -p "$work/x" "$work/root/bin" "$work/root/m" "$work/root/mnt" "$work/root/proc" "$work/root/sys" "$work/root/dev"
        dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work/x" --wildcards './boot/vmlinuz-*' './lib/modules/*/kernel/drivers/virtio/*' \
            './lib/modules/*/kernel/drivers/block/virtio_blk.ko*' './lib/modules/*/kernel/drivers/cdrom/*' './lib/modules/*/kernel/fs/isofs/*'
        cp "$work"/x/boot/vmlinuz-* "$work/vmlinuz"
        for f in $(find "$work/x/lib/modules" -name '*.ko*'); do
            case $f in
                *.ko) cp "$f" "$work/root/m/" ;;
                *.ko.xz) xz -dc "$f" >"$work/root/m/$(basename "$f" .xz)" ;;
                *.ko.zst) zstd -qdc "$f" >"$work/root/m/$(basename "$f" .zst)" ;;
            esac
        done
        cp /bin/busybox "$work/root/bin/busybox"
        cat >"$work/root/init" <<'EOF'
        #!/bin/busybox sh
        /bin/busybox --install -s /bin
        mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
        for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk cdrom isofs; do
            [ -f /m/$m.ko ] && insmod /m/$m.ko
        done
        sleep 1
        for dev in /dev/vd?; do
            d=${dev#/dev/}
            echo "kvmps-label $dev: $(dd if=$dev bs=1 skip=32808 count=32 2>/dev/null)"
            mount -t iso9660 -o ro $dev /mnt || echo "kvmps-mount-failed $d"
            for f in /mnt/* /mnt/.*; do
                [ -f "$f" ] && echo "kvmps-file $d $(sha256sum <"$f" | cut -c1-64) $(wc -c <"$f") ${f#/mnt/}"
            done
            umount /mnt
        done
        echo kvmps-done
        poweroff -f
        EOF
        chmod +x "$work/root/init"
        (cd "$work/root" && find . | cpio -o -H newc --quiet) >"$work/initrd"
        """;

    // ---- helpers ------------------------------------------------------------------------

    /// <summary>A realistic seed: UTF-8 user-data spanning three sectors, network-config of exactly one sector.</summary>
    private static Dictionary<string, byte[]> CloudInit()
    {
        string userData = "#cloud-config\nhostname: web01\n# Grüße, ☃, 😀\nwrite_files:\n" + string.Concat(Enumerable.Range(0, 200).Select(i => $"  - path: /etc/x{i}\n"));
        byte[] network = Encoding.UTF8.GetBytes("version: 2\nethernets:\n  eth0:\n    dhcp4: true\n#".PadRight(2048, 'x'));
        return new Dictionary<string, byte[]>
        {
            ["user-data"] = Encoding.UTF8.GetBytes(userData),
            ["meta-data"] = Encoding.UTF8.GetBytes("instance-id: 3f1c2a9e\nlocal-hostname: web01\n"),
            ["network-config"] = network,
        };
    }

    private static IEnumerable<Dictionary<string, byte[]>> Seeds()
    {
        yield return CloudInit();
        // Binary data across sector boundaries, and an empty file.
        yield return new Dictionary<string, byte[]>
        {
            ["user-data"] = Enumerable.Range(0, 4097).Select(i => (byte)(i * 7 % 256)).ToArray(),
            ["meta-data"] = Array.Empty<byte>(),
        };
        // Enough long names that both root directories take several sectors, and names Joliet keeps but level 1 cannot.
        var many = Enumerable.Range(0, 60).ToDictionary(i => $"{i:D2}-" + new string('n', 61), i => new[] { (byte)i });
        many["Données été.txt"] = Encoding.UTF8.GetBytes("é");
        many["x.tar.gz"] = new byte[2048];
        yield return many;
    }

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Runs a tool that must succeed; the test is skipped where the tool is not installed.</summary>
    private static (string Stdout, string Stderr, byte[] Bytes) Tool(string program, params string[] args)
    {
        Skip.If(Which(program).Length == 0, program + " is not installed");
        var result = Run(program, args);
        Assert.True(result.Code == 0, $"{program} {string.Join(' ', args)} exited {result.Code}: {result.Stderr}");
        return (result.Text, result.Stderr, result.Bytes);
    }

    private static (int Code, byte[] Bytes, string Text, string Stderr) Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(Which(program) is { Length: > 0 } path ? path : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // English messages, and UTF-8 for the Joliet names that are not ASCII.
        info.Environment["LC_ALL"] = "C.UTF-8";
        using Process process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        var copied = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        if (!process.WaitForExit(300_000))
        {
            process.Kill(entireProcessTree: true);
            copied.Wait(10_000);
            Assert.Fail($"{program} did not finish in 300 s; its output: {Encoding.UTF8.GetString(stdout.ToArray())}");
        }

        copied.Wait();
        byte[] bytes = stdout.ToArray();
        return (process.ExitCode, bytes, Encoding.UTF8.GetString(bytes), stderr.Result);
    }

    private static string Which(string program)
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(new[] { "/usr/sbin", "/sbin" })
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists) ?? "";

    private static string KernelDeb()
    {
        var dirs = new List<string> { "/var/cache/apt/archives" };
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "KvmPS.sln")))
            {
                dirs.Insert(0, Path.Combine(dir.FullName, "tests", "lab", ".state", "tiny-guest", "cache"));
                break;
            }
        }

        return dirs.Where(Directory.Exists).SelectMany(d => Directory.GetFiles(d, "linux-image-*-amd64_*.deb")).OrderBy(f => f, StringComparer.Ordinal).FirstOrDefault() ?? "";
    }
}
