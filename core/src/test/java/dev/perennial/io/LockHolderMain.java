/*
 * A child process for OutputFolderTest's cross-process lock tests: locks the folder args[0] for command args[1]
 * (default "train"), prints "locked" and then holds the lock until its standard input reaches EOF (the parent closes
 * it, or dies). If the folder is locked already it prints "refused <message>" and exits with 2, so a test can also
 * ask "would another process get this lock now?".
 */
package dev.perennial.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

public final class LockHolderMain {
    private LockHolderMain() {}

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        String command = args.length > 1 ? args[1] : "train";
        OutputFolder folder;
        try {
            folder = OutputFolder.lock(dir, command);
        } catch (OutputFolder.RefusedException e) {
            System.out.println("refused " + e.getMessage());
            System.out.flush();
            System.exit(2);
            return;
        }
        try (folder) {
            System.out.println("locked");
            System.out.flush();
            InputStream in = System.in;
            byte[] buf = new byte[256];
            while (in.read(buf) >= 0) {
                // hold the lock until EOF
            }
        }
        System.out.println("released");
        System.out.flush();
    }
}
