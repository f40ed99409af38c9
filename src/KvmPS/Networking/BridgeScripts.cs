using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using KvmPS.Transport;

namespace KvmPS.Networking;

/// <summary>
/// Turns a <see cref="BridgePlan"/> into what runs on the host: apply.sh and restore.sh (every
/// command quoted once from its argv), and the batch that uploads them and arms the rollback
/// (bridge-arm.sh). After that batch the change runs on its own; bridge-state.sh follows it.
/// </summary>
internal static class BridgeScripts
{
    /// <summary>Where changes keep their scripts, backups and state: /var/run exists on every release (a link to /run on new ones).</summary>
    public const string StateParent = "/var/run";

    public static string Directory(string token, string parent = StateParent) => parent + "/kvmps-bridge-" + token;

    public static string RenderApply(BridgePlan plan)
    {
        var text = new StringBuilder();
        text.Append("# KvmPS: apply a bridge change. On the first failure: restore now (the rollback timer then has nothing to do).\n");
        text.Append("dir=$1\n");
        text.Append("umask 022\n");
        text.Append("fail() {\n");
        text.Append("    echo \"KvmPS: failed ($1): $2\"\n");
        // Restore only after claiming the change: the timer may have claimed (and be restoring) already.
        text.Append("    for t in \"$dir\"/armed.*; do mv \"$t\" \"$dir/claimed\" 2>/dev/null || { echo \"$1\" >\"$dir/apply.rc\"; exit \"$1\"; }; done\n");
        text.Append("    sh \"$dir/restore.sh\" \"$dir\" >\"$dir/restore.log\" 2>&1\n");
        text.Append("    echo $? >\"$dir/restore.rc\"\n");
        text.Append("    echo \"$1\" >\"$dir/apply.rc\"\n");
        text.Append("    exit \"$1\"\n");
        text.Append("}\n");
        for (int i = 0; i < plan.Files.Count; i++)
        {
            string index = i.ToString(CultureInfo.InvariantCulture);
            string path = PosixQuote.Quote(plan.Files[i].Path);
            text.Append($"cat \"$dir/new.{index}\" >{path} || fail $? {PosixQuote.Quote("write " + plan.Files[i].Path)}\n");
        }

        foreach (string path in plan.DeletedFiles)
        {
            text.Append($"rm -f -- {PosixQuote.Quote(path)} || fail $? {PosixQuote.Quote("delete " + path)}\n");
        }

        foreach (string[] command in plan.Apply)
        {
            string line = PosixQuote.Join(command);
            text.Append($"echo {PosixQuote.Quote("+ " + line)}\n");
            text.Append($"{line} || fail $? {PosixQuote.Quote(line)}\n");
        }

        text.Append("echo 0 >\"$dir/apply.rc\"\n");
        return text.ToString();
    }

    public static string RenderRestore(BridgePlan plan)
    {
        var text = new StringBuilder();
        text.Append("# KvmPS: undo a bridge change. Every step runs, whatever failed before it.\n");
        text.Append("dir=$1\n");
        text.Append("umask 022\n");
        // Teardown steps may fail (what they undo may never have been made); a failed step that
        // puts something back makes the exit code 1.
        text.Append("rc=0\n");
        text.Append("try() {\n    echo \"+ $*\"\n    \"$@\" || echo \"KvmPS: failed ($?): $*\"\n}\n");
        text.Append("must() {\n    echo \"+ $*\"\n    \"$@\" || { echo \"KvmPS: failed ($?): $*\"; rc=1; }\n}\n");
        foreach (string[] command in plan.Teardown)
        {
            text.Append("try ").Append(PosixQuote.Join(command)).Append('\n');
        }

        int n = 0;
        foreach (string path in plan.BackedUpPaths)
        {
            string index = n++.ToString(CultureInfo.InvariantCulture);
            string quoted = PosixQuote.Quote(path);
            text.Append($"if [ -e \"$dir/old.{index}\" ]; then must cp -p \"$dir/old.{index}\" {quoted}; else must rm -f -- {quoted}; fi\n");
        }

        foreach (string[] command in plan.Restore)
        {
            text.Append("must ").Append(PosixQuote.Join(command)).Append('\n');
        }

        text.Append("exit $rc\n");
        return text.ToString();
    }

    /// <summary>
    /// One batch (stop at the first failure): make the directory, upload the scripts and the new
    /// files, back up and arm, start the change. The undo removes the directory.
    /// </summary>
    public static IReadOnlyList<RemoteCommand> Arm(BridgePlan plan, string token, string parent = StateParent)
    {
        string dir = Directory(token, parent);
        var commands = new List<RemoteCommand>
        {
            RemoteCommand.Of("mkdir", "-m", "0700", "--", dir),
            Upload(dir + "/apply.sh", RenderApply(plan), "apply.sh"),
            Upload(dir + "/restore.sh", RenderRestore(plan), "restore.sh"),
        };
        for (int i = 0; i < plan.Files.Count; i++)
        {
            commands.Add(Upload($"{dir}/new.{i.ToString(CultureInfo.InvariantCulture)}", plan.Files[i].Content, plan.Files[i].Path));
        }

        var arm = new List<string> { dir, token, BridgePlanner.Seconds(plan.Request.RollbackTimeout) };
        arm.AddRange(plan.BackedUpPaths);
        commands.Add(RemoteCommand.Script("bridge-arm.sh", arm.ToArray()));
        return commands;
    }

    public static RemoteCommand State(string token, string action, string parent = StateParent)
        => RemoteCommand.Script("bridge-state.sh", Directory(token, parent), token, action);

    private static RemoteCommand Upload(string path, string content, string name)
        => new(new[] { "sh", "-c", "umask 077 && cat > \"$1\"", "sh", path }, Encoding.UTF8.GetBytes(content), stdinName: name);
}
