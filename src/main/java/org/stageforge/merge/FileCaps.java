package org.stageforge.merge;

import org.stageforge.ParseException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Locale;

/**
 * File capabilities in setcap's text form ({@code cap_net_raw+ep}, {@code cap_a,cap_b=eip}, {@code all=ep}) encoded
 * as the kernel's {@code security.capability} xattr (vfs_cap_data revision 2: magic with the effective flag, then
 * permitted and inheritable masks in two little-endian 32-bit words each). Used when a phase's setcap was only
 * recorded (no privileges) and must still reach the file table and the archive.
 */
final class FileCaps {
    static final String XATTR = "security.capability";
    private static final int REVISION_2 = 0x02000000;
    private static final int FLAG_EFFECTIVE = 0x000001;

    /** Linux capability names by number (linux/capability.h). */
    private static final List<String> NAMES = List.of("chown", "dac_override", "dac_read_search", "fowner", "fsetid",
            "kill", "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin",
            "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
            "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease",
            "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
            "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore");

    private FileCaps() {}

    /** The xattr value for {@code text}; null when no capability remains (the xattr is removed). */
    static byte[] encode(String text) {
        long permitted = 0, inheritable = 0, effective = 0;
        String t = text.strip();
        int pos = 0;
        for (String clause : t.split("\\s+")) {
            if (clause.isEmpty()) continue;
            int op = indexOfOperator(clause);
            if (op < 0) throw ParseException.at("capability text", t, pos, "no operator (=, + or -) in '" + clause + "'");
            long caps = op == 0 ? allCaps() : caps(clause.substring(0, op), t, pos);
            int i = op;
            while (i < clause.length()) {
                char o = clause.charAt(i++);
                if ("=+-".indexOf(o) < 0) throw ParseException.at("capability text", t, pos + i - 1, "expected =, + or -");
                int start = i;
                while (i < clause.length() && "eip".indexOf(clause.charAt(i)) >= 0) i++;
                String flags = clause.substring(start, i);
                if (o == '=') {
                    permitted &= ~caps;
                    inheritable &= ~caps;
                    effective &= ~caps;
                }
                boolean add = o != '-';
                if (flags.indexOf('p') >= 0) permitted = add ? permitted | caps : permitted & ~caps;
                if (flags.indexOf('i') >= 0) inheritable = add ? inheritable | caps : inheritable & ~caps;
                if (flags.indexOf('e') >= 0) effective = add ? effective | caps : effective & ~caps;
            }
            pos += clause.length() + 1;
        }
        if (permitted == 0 && inheritable == 0) return null;
        ByteBuffer b = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(REVISION_2 | (effective != 0 ? FLAG_EFFECTIVE : 0));
        b.putInt((int) permitted).putInt((int) inheritable);
        b.putInt((int) (permitted >>> 32)).putInt((int) (inheritable >>> 32));
        return b.array();
    }

    /** {@code xattrs} with the capability xattr set from {@code text} (removed when none remains). */
    static java.util.SortedMap<String, byte[]> with(java.util.Map<String, byte[]> xattrs, String text) {
        java.util.TreeMap<String, byte[]> out = new java.util.TreeMap<>(xattrs);
        byte[] v = encode(text);
        if (v == null) out.remove(XATTR);
        else out.put(XATTR, v);
        return out;
    }

    private static int indexOfOperator(String clause) {
        for (int i = 0; i < clause.length(); i++) {
            if ("=+-".indexOf(clause.charAt(i)) >= 0) return i;
        }
        return -1;
    }

    private static long allCaps() {
        return (1L << NAMES.size()) - 1;
    }

    private static long caps(String list, String text, int pos) {
        long out = 0;
        for (String name : list.split(",")) {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.equals("all")) {
                out |= allCaps();
                continue;
            }
            int idx = n.startsWith("cap_") ? NAMES.indexOf(n.substring(4)) : -1;
            if (idx < 0) throw ParseException.at("capability text", text, pos, "unknown capability '" + name + "'");
            out |= 1L << idx;
        }
        return out;
    }
}
