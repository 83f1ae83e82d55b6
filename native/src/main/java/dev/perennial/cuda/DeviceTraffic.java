/*
 * What crossed between host and device in a counting window of a DeviceMemory (DeviceMemory.traffic()): new raw
 * device allocations, copies in (host tensors a kernel needed, or Backend.place), and host accesses to device
 * memory (Java code reading or writing a device tensor's elements: a copy out, or a page migration of managed
 * memory on a GPU). The descriptions name the tensors ("F32[2, 5] upload") for assertion messages.
 */
package dev.perennial.cuda;

import java.util.List;

public record DeviceTraffic(long allocations, long reuses, long uploads, long uploadedBytes, long hostAccessedStorages,
                            List<String> uploaded, List<String> hostAccessed) {
    /** Nothing counted (memory that is not kept apart from the host). */
    public static final DeviceTraffic NONE = new DeviceTraffic(0, 0, 0, 0, 0, List.of(), List.of());
}
