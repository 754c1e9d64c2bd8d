/*
 * Requests the device's cellular data network (TRANSPORT_CELLULAR, NOT_VPN) and hands it to smv's
 * native platform layer: the network's handle (for android_setsocknetwork and android_res_nquery),
 * its transports, interface and DNS servers; and tells the native side when the network is lost, so
 * that a flow in progress fails instead of continuing on another network.
 *
 * Needs android.permission.CHANGE_NETWORK_STATE (requestNetwork) and ACCESS_NETWORK_STATE.
 * Usage: SmvCellular c = new SmvCellular(context); c.start(); ... run flows ...; c.stop();
 */
package dev.smv;

import android.content.Context;
import android.net.ConnectivityManager;
import android.net.LinkProperties;
import android.net.Network;
import android.net.NetworkCapabilities;
import android.net.NetworkRequest;

import java.net.Inet6Address;
import java.net.InetAddress;

public final class SmvCellular {
    static {
        System.loadLibrary("smv");
    }

    /* The transports the native side understands, as bits 1 << NetworkCapabilities.TRANSPORT_*. */
    private static final int[] TRANSPORTS = {
        NetworkCapabilities.TRANSPORT_CELLULAR,
        NetworkCapabilities.TRANSPORT_WIFI,
        NetworkCapabilities.TRANSPORT_BLUETOOTH,
        NetworkCapabilities.TRANSPORT_ETHERNET,
        NetworkCapabilities.TRANSPORT_VPN,
    };

    private final ConnectivityManager cm;
    private ConnectivityManager.NetworkCallback callback;

    public SmvCellular(Context context) {
        cm = (ConnectivityManager) context.getSystemService(Context.CONNECTIVITY_SERVICE);
    }

    /* Asks for the cellular network even when WiFi is the default; Android brings it up if needed. */
    public synchronized void start() {
        if (callback != null) return;
        NetworkRequest request = new NetworkRequest.Builder()
                .addTransportType(NetworkCapabilities.TRANSPORT_CELLULAR)
                .addCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
                .addCapability(NetworkCapabilities.NET_CAPABILITY_NOT_VPN)
                .build();
        callback = new ConnectivityManager.NetworkCallback() {
            @Override
            public void onAvailable(Network network) {
                report(network);
            }

            @Override
            public void onLinkPropertiesChanged(Network network, LinkProperties lp) {
                report(network);
            }

            @Override
            public void onCapabilitiesChanged(Network network, NetworkCapabilities caps) {
                report(network);
            }

            @Override
            public void onLost(Network network) {
                nativeNetworkLost(network.getNetworkHandle());
            }
        };
        cm.requestNetwork(request, callback);
    }

    public synchronized void stop() {
        if (callback == null) return;
        cm.unregisterNetworkCallback(callback);
        callback = null;
    }

    private void report(Network network) {
        NetworkCapabilities caps = cm.getNetworkCapabilities(network);
        LinkProperties lp = cm.getLinkProperties(network);
        if (caps == null || lp == null || lp.getInterfaceName() == null) return;
        int transports = 0;
        for (int t : TRANSPORTS) {
            if (caps.hasTransport(t)) transports |= 1 << t;
        }
        StringBuilder dns = new StringBuilder();
        for (InetAddress a : lp.getDnsServers()) {
            if (dns.length() > 0) dns.append(',');
            String host = a.getHostAddress();
            int scope = host.indexOf('%');
            if (a instanceof Inet6Address && scope >= 0) host = host.substring(0, scope);
            dns.append(host);
        }
        nativeNetworkAvailable(network.getNetworkHandle(), transports, lp.getInterfaceName(),
                dns.length() > 0 ? dns.toString() : null);
    }

    private static native int nativeNetworkAvailable(long handle, int transports, String ifname, String dns);

    private static native void nativeNetworkLost(long handle);
}
