/** Implementation details of the application module. Not API: may change in any release. */
package dev.tokenkeeper.application.internal;
