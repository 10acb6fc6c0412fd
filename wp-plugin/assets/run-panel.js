/**
 * AutomationTools.AI: "Run now" followed live on a feed's screen. Starts the run over REST, then polls its
 * progress with backoff (1 s, growing to 10 s while nothing changes), announces each step in the panel's live
 * region, lists each new post as it appears, and keeps the run in the address so a reload follows it still.
 */
( function () {
	'use strict';

	var __ = window.wp.i18n.__;
	var FIRST_DELAY = 1000;
	var LONGEST_DELAY = 10000;

	function followRun( panel, runId ) {
		var status = panel.querySelector( '.atai-run-status' );
		var bar = panel.querySelector( '.atai-run-bar' );
		var list = panel.querySelector( '.atai-run-posts' );
		var feedId = panel.getAttribute( 'data-feed' );
		var delay = FIRST_DELAY;
		var last = '';

		function show( progress ) {
			if ( progress.message !== status.textContent ) {
				status.textContent = progress.message;
			}
			bar.hidden = ! progress.running || progress.total < 1;
			bar.max = Math.max( 1, progress.total );
			bar.value = Math.min( progress.done, bar.max );
			progress.posts.slice().reverse().forEach( function ( post ) {
				if ( list.querySelector( '[data-post="' + post.id + '"]' ) ) {
					return;
				}
				var item = document.createElement( 'li' );
				var link = document.createElement( 'a' );
				var state = document.createElement( 'span' );
				item.setAttribute( 'data-post', post.id );
				link.href = post.edit_link;
				link.textContent = post.title;
				state.className = 'atai-post-status';
				state.textContent = ' (' + post.status + ')';
				item.appendChild( link );
				item.appendChild( state );
				list.insertBefore( item, list.firstChild );
			} );
			panel.setAttribute( 'data-running', progress.running ? '1' : '0' );
		}

		function poll() {
			window.wp
				.apiFetch( { path: '/atai/v1/feeds/' + feedId + '/progress?run=' + runId } )
				.then( function ( progress ) {
					show( progress );
					var seen = JSON.stringify( [ progress.message, progress.posts.length ] );
					delay = seen === last ? Math.min( delay * 1.5, LONGEST_DELAY ) : FIRST_DELAY;
					last = seen;
					if ( progress.running ) {
						window.setTimeout( poll, delay );
					}
				} )
				.catch( function ( error ) {
					status.textContent =
						error && error.message
							? error.message
							: __( 'The progress could not be read; reload the page to see where the run stands.', 'automationtools-ai' );
				} );
		}

		var address = new URL( window.location.href );
		address.searchParams.set( 'run', runId );
		window.history.replaceState( null, '', address.toString() );
		poll();
	}

	function startRun( panel, button ) {
		var status = panel.querySelector( '.atai-run-status' );
		button.disabled = true;
		status.textContent = __( 'Sending the feed to the worker…', 'automationtools-ai' );
		panel.querySelector( '.atai-run-posts' ).textContent = '';
		window.wp
			.apiFetch( {
				path: '/atai/v1/feeds/' + panel.getAttribute( 'data-feed' ) + '/run',
				method: 'POST',
			} )
			.then( function ( answer ) {
				panel.setAttribute( 'data-run', answer.run_id );
				followRun( panel, answer.run_id );
			} )
			.catch( function ( error ) {
				status.textContent =
					error && error.message ? error.message : __( 'The run could not be started.', 'automationtools-ai' );
			} )
			.finally( function () {
				button.disabled = false;
			} );
	}

	document.addEventListener( 'DOMContentLoaded', function () {
		var panel = document.querySelector( '.atai-run-panel' );
		if ( ! panel ) {
			return;
		}
		var button = panel.querySelector( '.atai-run-now' );
		button.addEventListener( 'click', function ( event ) {
			event.preventDefault();
			startRun( panel, button );
		} );
		if ( '1' === panel.getAttribute( 'data-running' ) && panel.getAttribute( 'data-run' ) ) {
			followRun( panel, panel.getAttribute( 'data-run' ) );
		}
	} );
} )();
