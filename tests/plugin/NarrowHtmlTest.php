<?php
/**
 * The check that lets HTML already in the worker's narrow shape skip wp_kses_post().
 *
 * @package automationtools-ai
 */

namespace ATAI\Tests;

use ATAI\Contract;
use ATAI\Posts;

/**
 * is_narrow_html() must accept what the worker writes and refuse everything kses would have to change.
 */
final class NarrowHtmlTest extends TestCase {

	/**
	 * HTML exactly as the worker's sanitizer (nh3) wrote it for an article with every allowed construct.
	 */
	private const WORKER_OUTPUT = '<h2>Tides &amp; cranes</h2><p>The <strong>harbour</strong> cranes are back, says <a href="https://news.example.org/people/ines" title="Ines" rel="noopener noreferrer">Ines</a> — “finally”.</p>
<figure><img src="https://news.example.org/2026/img/crane.jpg" alt="A crane" width="640" height="320"><figcaption>Crane № 3</figcaption></figure>
<ul><li>One</li><li>Two &lt;three&gt;</li></ul><br><hr><table><thead><tr><th scope="col">Year</th></tr></thead><tbody><tr><td colspan="2">1998</td></tr></tbody></table>
<blockquote><p>Quote</p></blockquote><pre><code>x = 1 &amp;&amp; y</code></pre><p>Mail <a href="mailto:port@example.org" rel="noopener noreferrer">us</a>&nbsp;now.</p>';

	public function test_the_workers_output_is_narrow_and_kses_leaves_it_as_it_is(): void {
		$this->assertTrue( Posts\is_narrow_html( self::WORKER_OUTPUT ) );
		$this->assertSame( self::WORKER_OUTPUT, wp_kses_post( self::WORKER_OUTPUT ) );
	}

	/**
	 * One element: a void tag alone, any other with text and its closing tag.
	 */
	private static function element( string $tag, string $attributes ): string {
		return in_array( $tag, array( 'br', 'hr', 'img' ), true ) ? "<{$tag}{$attributes}>" : "<{$tag}{$attributes}>x</{$tag}>";
	}

	/**
	 * An attribute with a value of the right kind: a URL for href and src.
	 */
	private static function attribute( string $name ): string {
		return ' ' . $name . '="' . ( in_array( $name, Posts\URL_ATTRIBUTES, true ) ? 'https://news.example.org/a' : '1' ) . '"';
	}

	public function test_the_check_allows_exactly_the_tags_attributes_and_schemes_of_the_contract(): void {
		$allowed = Contract\document()['x-atai-html'];
		$names   = array_unique( array_merge( ...array_values( $allowed['attributes'] ) ) );

		$this->assertSame( $allowed, Contract\allowed_html() );
		foreach ( $allowed['tags'] as $tag ) {
			$this->assertTrue( Posts\is_narrow_html( self::element( $tag, '' ) ), "<$tag> is in the contract." );
			foreach ( $names as $name ) {
				$html = self::element( $tag, self::attribute( $name ) );
				$this->assertSame( in_array( $name, $allowed['attributes'][ $tag ] ?? array(), true ), Posts\is_narrow_html( $html ), $html );
			}
		}
		foreach ( array( 'div', 'span', 'iframe', 'section' ) as $tag ) {
			$this->assertNotContains( $tag, $allowed['tags'] );
			$this->assertFalse( Posts\is_narrow_html( self::element( $tag, '' ) ), "<$tag> is not in the contract." );
		}
		foreach ( $allowed['url_schemes'] as $scheme ) {
			$this->assertTrue( Posts\is_narrow_html( '<a href="' . $scheme . ':x">x</a>' ), "$scheme: is in the contract." );
		}
		$this->assertNotContains( 'ftp', $allowed['url_schemes'] );
		$this->assertFalse( Posts\is_narrow_html( '<a href="ftp://news.example.org/a">x</a>' ) );
	}

	public function test_kses_keeps_every_tag_and_attribute_the_contract_allows(): void {
		$allowed = Contract\allowed_html();
		foreach ( $allowed['tags'] as $tag ) {
			$names = array_merge( $allowed['attributes'][ $tag ] ?? array(), Posts\ADDED_ATTRIBUTES[ $tag ] ?? array() );
			$html  = self::element( $tag, implode( '', array_map( array( self::class, 'attribute' ), $names ) ) );

			$this->assertTrue( Posts\is_narrow_html( $html ), $html );
			$this->assertSame( $html, wp_kses_post( $html ), 'Only HTML kses would keep as it is may skip kses.' );
		}
	}

	public function test_a_long_article_of_that_shape_is_narrow(): void {
		$this->assertTrue( Posts\is_narrow_html( str_repeat( self::WORKER_OUTPUT, 200 ) ) );
	}

	/**
	 * HTML kses would change, or that a browser could read as more than the allowed tags.
	 *
	 * @return array<string, array{string}>
	 */
	public function out_of_shape_html(): array {
		return array(
			'script'                    => array( '<p>Hi</p><script>alert(1)</script>' ),
			'space before the tag name' => array( '<p>Hi</p>< script>alert(1)</script>' ),
			'event handler'             => array( '<img src="https://x.example/a.png" onerror="alert(1)">' ),
			'unquoted attribute'        => array( '<img src=https://x.example/a.png>' ),
			'single-quoted attribute'   => array( "<a href='https://x.example/'>x</a>" ),
			'style attribute'           => array( '<p style="background:url(javascript:alert(1))">x</p>' ),
			'javascript link'           => array( '<a href="javascript:alert(1)">x</a>' ),
			'upper-case scheme'         => array( '<a href="JAVASCRIPT:alert(1)">x</a>' ),
			'entity inside the scheme'  => array( '<a href="jav&#x09;ascript:alert(1)">x</a>' ),
			'space before the URL'      => array( '<a href=" javascript:alert(1)">x</a>' ),
			'relative link'             => array( '<a href="/about">x</a>' ),
			'data image'                => array( '<img src="data:image/svg+xml;base64,PHN2Zz4=">' ),
			'upper-case tag'            => array( '<P>x</P>' ),
			'comment'                   => array( '<p>x</p><!-- <script>alert(1)</script> -->' ),
			'iframe'                    => array( '<iframe src="https://x.example/"></iframe>' ),
			'svg'                       => array( '<svg onload="alert(1)"></svg>' ),
			'unknown attribute'         => array( '<p data-x="1">x</p>' ),
			'quote inside a value'      => array( '<a title="x" onmouseover="alert(1)" href="https://x.example/">x</a>' ),
			'angle bracket in a value'  => array( '<img alt="<script>" src="https://x.example/a.png">' ),
			'unclosed tag'              => array( '<p>x</p><img src="https://x.example/a.png"' ),
			'nested trick'              => array( '<scr<script>ipt>alert(1)</script>' ),
			'NUL byte'                  => array( "<p>x</p>\0<script>alert(1)</script>" ),
			'form'                      => array( '<form action="https://x.example/"><input name="q"></form>' ),
		);
	}

	/**
	 * @dataProvider out_of_shape_html
	 */
	public function test_html_outside_the_narrow_shape_is_refused( string $html ): void {
		$this->assertFalse( Posts\is_narrow_html( $html ) );
	}

	public function test_refused_html_is_cleaned_by_kses_on_import(): void {
		$feed  = self::create_feed();
		$draft = Contract_Fixtures::draft( $feed->id, 'narrow-1', array( 'content' => '<p>Hi <a href="https://x.example/" onclick="alert(1)">there</a></p><script>alert(2)</script>' ) );

		$post_id = current( \ATAI\Runs\import_drafts( $feed, Contract_Fixtures::run_id(), array( $draft ) )['posted'] );

		$content = get_post( $post_id )->post_content;
		$this->assertStringStartsWith( '<p>Hi <a href="https://x.example/">there</a></p>', $content );
		$this->assertStringNotContainsString( 'onclick', $content );
		$this->assertStringNotContainsString( '<script', $content );
	}
}
